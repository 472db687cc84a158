# Installs the build tree into a scratch prefix, then configures, builds and
# runs a tiny outside project that uses find_package(PeftMLIR CONFIG).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/install)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("install" ${CMAKE_COMMAND} --install ${PEFT_BINARY_DIR} --prefix ${prefix}
    --component devel)
set(linker_flag)
if(LLVM_USE_LINKER)
  set(linker_flag -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=${LLVM_USE_LINKER})
endif()
run("configure consumer" ${CMAKE_COMMAND} -G Ninja
    -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} -DMLIR_DIR=${MLIR_DIR} ${linker_flag})
run("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run("run consumer" ${WORK_DIR}/build/peft-consumer)
if(NOT last_output MATCHES "linalg.matmul")
  message(FATAL_ERROR "consumer did not lower peft.linear:\n${last_output}")
endif()
