# Installs headers (hand-written and tablegen'd) and the PeftMLIR CMake package.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PEFT_SOURCE_DIR}/include/peft DESTINATION include
  COMPONENT devel FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PEFT_BINARY_DIR}/include/peft DESTINATION include
  COMPONENT devel FILES_MATCHING PATTERN "*.h" PATTERN "*.inc"
  PATTERN "CMakeFiles" EXCLUDE)

install(EXPORT PeftMLIRTargets NAMESPACE PeftMLIR::
  DESTINATION lib/cmake/PeftMLIR COMPONENT devel)
configure_package_config_file(${PEFT_SOURCE_DIR}/cmake/PeftMLIRConfig.cmake.in
  ${PEFT_BINARY_DIR}/lib/cmake/PeftMLIR/PeftMLIRConfig.cmake
  INSTALL_DESTINATION lib/cmake/PeftMLIR)
write_basic_package_version_file(
  ${PEFT_BINARY_DIR}/lib/cmake/PeftMLIR/PeftMLIRConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${PEFT_BINARY_DIR}/lib/cmake/PeftMLIR/PeftMLIRConfig.cmake
  ${PEFT_BINARY_DIR}/lib/cmake/PeftMLIR/PeftMLIRConfigVersion.cmake
  DESTINATION lib/cmake/PeftMLIR COMPONENT devel)
