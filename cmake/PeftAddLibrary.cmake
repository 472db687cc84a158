# peft_add_library(name SRCS... [DEPENDS tgt...] [LINK_LIBS lib...])
#
# A static library of ours: compiled position-independent (it ends up in the
# plugin and the Python extension), linked against libMLIR.so/libLLVM.so, and
# exported into the installed PeftMLIR CMake package as PeftMLIR::<name>.
function(peft_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PEFT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PEFT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  # The imported MLIR/LLVM targets carry no include paths; consumers of the
  # installed package need them too.
  target_include_directories(${name} SYSTEM PUBLIC
    ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
  set_property(GLOBAL APPEND PROPERTY PEFT_EXPORTED_LIBS ${name})
  install(TARGETS ${name} EXPORT PeftMLIRTargets
    ARCHIVE DESTINATION lib COMPONENT devel
    LIBRARY DESTINATION lib COMPONENT devel)
endfunction()

# peft_add_tool(name SRCS... [LINK_LIBS lib...]): an executable in bin/ that
# finds libMLIR.so both in the build tree and when installed.
function(peft_add_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR LLVM)
  set_target_properties(${name} PROPERTIES INSTALL_RPATH "${LLVM_LIBRARY_DIR}")
  install(TARGETS ${name} RUNTIME DESTINATION bin COMPONENT tools)
endfunction()
