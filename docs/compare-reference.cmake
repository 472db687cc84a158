# Fails when a generated reference page differs from its committed copy.
file(GLOB_RECURSE generated RELATIVE ${GENERATED} ${GENERATED}/*.md)
if(NOT generated)
  message(FATAL_ERROR "no generated docs under ${GENERATED}")
endif()
foreach(page ${generated})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
    ${GENERATED}/${page} ${COMMITTED}/${page} RESULT_VARIABLE differs)
  if(differs)
    message(FATAL_ERROR "docs/reference/${page} is stale: run scripts/gen-docs")
  endif()
endforeach()
message(STATUS "${CMAKE_CURRENT_LIST_FILE}: docs/reference is current")
