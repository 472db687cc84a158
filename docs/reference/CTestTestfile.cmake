# CMake generated Testfile for 
# Source directory: /work/main/docs
# Build directory: /work/main/build/docs
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[docs-reference]=] "/usr/bin/cmake" "--build" "/work/main/build" "--target" "mlir-doc")
set_tests_properties([=[docs-reference]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/docs/CMakeLists.txt;6;add_test;/work/main/docs/CMakeLists.txt;0;")
add_test([=[docs-reference-current]=] "/usr/bin/cmake" "-DGENERATED=/work/main/build/docs" "-DCOMMITTED=/work/main/docs/reference" "-P" "/work/main/docs/compare-reference.cmake")
set_tests_properties([=[docs-reference-current]=] PROPERTIES  DEPENDS "docs-reference" _BACKTRACE_TRIPLES "/work/main/docs/CMakeLists.txt;8;add_test;/work/main/docs/CMakeLists.txt;0;")
