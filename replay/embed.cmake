# embed.cmake - write an SQL file as a C string (cmake -P): IN, OUT, and
# NAME (default vmt_schema_sql).
# Bytes go out as hex so no SQL character needs escaping.
if(NOT NAME)
  set(NAME vmt_schema_sql)
endif()
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* Generated from ${IN} by embed.cmake; do not edit. */
extern const char ${NAME}[];
const char ${NAME}[] = {
${bytes}0x00 };
")
