# Compiler warnings and sanitizers applied to every Liandong target through
# the interface library liandong::options.
add_library(liandong_options INTERFACE)
add_library(liandong::options ALIAS liandong_options)
target_compile_options(liandong_options INTERFACE -Wall -Wextra -Werror -Wpedantic)
if(LIANDONG_SANITIZE)
  target_compile_options(liandong_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                    -fno-sanitize-recover=undefined)
  target_link_options(liandong_options INTERFACE -fsanitize=address,undefined)
endif()
