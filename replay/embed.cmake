# embed.cmake - write schema.sql as the C string vmt_schema_sql (cmake -P).
# Bytes go out as hex so no SQL character needs escaping.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* Generated from replay/schema.sql by embed.cmake; do not edit. */
extern const char vmt_schema_sql[];
const char vmt_schema_sql[] = {
${bytes}0x00 };
")
