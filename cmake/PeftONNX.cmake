# The ONNX C++ library: a current release built from PyPI's source
# distribution by scripts/setup (static, position-independent, into
# ~/.cache/peft-mlir/onnx-<version>/install; docs/onnx.md), never Debian's
# libonnx 1.12 (opsets <= 17, IR <= 8), which may still be installed.
#
# Gives the imported targets ONNX::onnx (which holds the protobuf classes of
# onnx_proto as well) and ONNX::onnx_proto, ONNX_VERSION and
# PEFT_ONNX_NAMESPACE (the library's C++ namespace and protobuf package).

# The release scripts/setup builds (scripts/lib.sh reads it from this line).
set(PEFT_ONNX_VERSION 1.23.2)
# The oldest release we accept.
set(PEFT_ONNX_MIN_VERSION 1.23)

# ONNX::onnx links protobuf::libprotobuf (Debian's shared libprotobuf 3.21).
find_package(Protobuf REQUIRED)
# scripts/build and scripts/test pass ONNX_DIR; the hint serves a plain
# `pip install .` or cmake run after scripts/setup.
find_package(ONNX ${PEFT_ONNX_MIN_VERSION} CONFIG REQUIRED
  HINTS "$ENV{HOME}/.cache/peft-mlir/onnx-${PEFT_ONNX_VERSION}/install")
if(ONNX_VERSION VERSION_LESS PEFT_ONNX_MIN_VERSION OR NOT TARGET ONNX::onnx)
  message(FATAL_ERROR "ONNX ${ONNX_VERSION} from ${ONNX_DIR}: peft-mlir needs "
    "ONNX >= ${PEFT_ONNX_MIN_VERSION} with the targets ONNX::onnx/onnx_proto "
    "(scripts/setup builds ${PEFT_ONNX_VERSION}; pass -DONNX_DIR=<prefix>/lib/cmake/ONNX)")
endif()
# Static only: a shared libonnx exports only its ONNX_API surface (not
# checker::check_graph), and a static one is all inside our binaries.
foreach(_peft_onnx_target ONNX::onnx ONNX::onnx_proto)
  get_target_property(_peft_onnx_type ${_peft_onnx_target} TYPE)
  if(NOT _peft_onnx_type STREQUAL "STATIC_LIBRARY")
    message(FATAL_ERROR "${_peft_onnx_target} from ${ONNX_DIR} is a "
      "${_peft_onnx_type}; peft-mlir needs ONNX built static with PIC "
      "(-DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON, as scripts/setup does)")
  endif()
endforeach()
# Its own protobuf package: a library built with ONNX_NAMESPACE=onnx registers
# onnx/onnx-ml.proto in the shared libprotobuf's descriptor pool, which
# Debian's libonnx 1.12 (loaded with Debian's torch) does too; the second
# registration aborts the process (lib/Target/ONNX/ONNXLibrary.h).
get_target_property(_peft_onnx_defs ONNX::onnx INTERFACE_COMPILE_DEFINITIONS)
if(NOT _peft_onnx_defs MATCHES "(^|;)ONNX_NAMESPACE=([A-Za-z_0-9]+)(;|$)" OR
   CMAKE_MATCH_2 STREQUAL "onnx")
  message(FATAL_ERROR "ONNX::onnx from ${ONNX_DIR} has the compile definitions "
    "'${_peft_onnx_defs}'; peft-mlir needs ONNX built with its own protobuf "
    "package, -DONNX_NAMESPACE=onnx_peft, as scripts/setup does")
endif()
set(PEFT_ONNX_NAMESPACE ${CMAKE_MATCH_2})
message(STATUS "Using ONNX ${ONNX_VERSION} (static, namespace "
  "${PEFT_ONNX_NAMESPACE}) from ${ONNX_DIR}")

# peft_check_onnx_links(): run at the end of the top-level CMakeLists. Fails
# configure when a target links ONNX by a plain name: `onnx` or `onnx_proto`
# becomes -lonnx, which the linker resolves to Debian's libonnx 1.12 in
# /usr/lib while libonnx-dev is installed; or when a target named `onnx`
# exists and comes from /usr.
function(peft_check_onnx_links)
  foreach(plain onnx onnx_proto)
    if(TARGET ${plain})
      get_target_property(imported ${plain} IMPORTED)
      set(where "")
      if(imported)
        foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE
                     IMPORTED_LOCATION_NONE INTERFACE_INCLUDE_DIRECTORIES)
          get_target_property(value ${plain} ${prop})
          if(value)
            string(APPEND where " ${value}")
          endif()
        endforeach()
      endif()
      if(where MATCHES "(^| )/usr/")
        message(FATAL_ERROR "a target named `${plain}` resolves to${where} "
          "(Debian's libonnx 1.12?); link ONNX::onnx")
      endif()
    endif()
  endforeach()
  set(dirs ${PROJECT_SOURCE_DIR})
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target ${targets})
      get_target_property(type ${target} TYPE)
      set(props INTERFACE_LINK_LIBRARIES)
      if(NOT type STREQUAL "INTERFACE_LIBRARY")
        list(APPEND props LINK_LIBRARIES)
      endif()
      foreach(prop ${props})
        get_target_property(libs ${target} ${prop})
        foreach(lib ${libs})
          if(lib MATCHES "^(onnx|onnx_proto|-lonnx|-lonnx_proto)$" OR
             lib MATCHES "^/usr/.*libonnx")
            message(FATAL_ERROR "${target} links `${lib}` (${prop}): a plain "
              "name links Debian's libonnx 1.12 from /usr/lib; link ONNX::onnx")
          endif()
        endforeach()
      endforeach()
    endforeach()
  endwhile()
endfunction()
