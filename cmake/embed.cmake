# embed.cmake - turns a file into a C source defining `const char NAME[]` (the bytes,
# NUL-terminated) and `const size_t NAME_len` (without the NUL).
#   cmake -DIN=data/pricing.json -DOUT=gen/pricing_data.c -DNAME=vb_default_pricing_json
#         -P cmake/embed.cmake
# Pure CMake, so the build needs no xxd. Meant for small files (a few KiB).
foreach(var IN ITEMS IN OUT NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR EMBED_LEN "${digits} / 2")
# String literals of \xNN escapes, 16 bytes a line: any byte goes in without a
# sign-conversion warning, and the compiler adds the terminating NUL.
set(EMBED_BYTES "")
set(pos 0)
while(pos LESS digits)
  string(SUBSTRING "${hex}" ${pos} 32 chunk)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" chunk "${chunk}")
  string(APPEND EMBED_BYTES "\n    \"${chunk}\"")
  math(EXPR pos "${pos} + 32")
endwhile()
if(EMBED_BYTES STREQUAL "")
  set(EMBED_BYTES " \"\"")
endif()
set(EMBED_NAME "${NAME}")
get_filename_component(EMBED_SOURCE "${IN}" NAME)
configure_file("${CMAKE_CURRENT_LIST_DIR}/embed.c.in" "${OUT}" @ONLY)
