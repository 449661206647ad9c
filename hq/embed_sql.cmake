# embed_sql.cmake: hq/sql/NNN_*.sql into a C file of struct hq_migration (cmake -P).
# -DSQL_DIR=<dir> -DOUT=<file.c>. Each file becomes a NUL-terminated byte array, in version order.
file(GLOB files ${SQL_DIR}/*.sql)
list(SORT files)
set(arrays "")
set(table "")
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" ver "${name}")
  if(NOT ver)
    message(FATAL_ERROR "${f}: the name must start with its version number")
  endif()
  math(EXPR version "${ver}")
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "static const char sql_${version}[] = {${bytes}0x00};\n")
  string(APPEND table "    {${version}, sql_${version}},\n")
endforeach()
file(WRITE ${OUT}.tmp "/* Generated from hq/sql/ by hq/embed_sql.cmake: do not edit. */\n"
     "#include \"hq/hq_db.h\"\n\n${arrays}\nconst struct hq_migration hq_migrations[] = {\n${table}};\n"
     "const size_t hq_n_migrations = sizeof(hq_migrations) / sizeof(hq_migrations[0]);\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
