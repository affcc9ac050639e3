# Warnings are errors in every target of the project.
function(looplive_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  # GCC 12 reports impossible overlaps in inlined std::string appends at -O2/-O3
  # (GCC bug 105329, fixed in GCC 13); the diagnostic is noise for this compiler only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()
