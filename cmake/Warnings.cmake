# Warning flags shared by every target of the project. Warnings are errors
# (H2_WERROR) on both gcc and clang, so the tree stays clean on both.
function(h2_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wcast-qual -Wpointer-arith -Wvla
    -Wformat=2 -Wundef -Wwrite-strings)
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wduplicated-cond -Wlogical-op)
  endif()
  if(H2_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
