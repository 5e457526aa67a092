# embed.cmake — turns a file into a C array (used for the embedded default
# rules). Usage: cmake -DIN=file -DOUT=file.c -DSYM=name -P embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN} */\n#include <stddef.h>\nconst char ${SYM}[] = {${body} 0};\nconst size_t ${SYM}_len = ${len};\n")
