# Embeds a service's numbered SQL migrations (schema/NNN_name[.dialect].sql) into the binary, so the
# one `ordo` file carries every schema it needs. Editing a .sql file re-runs CMake (CONFIGURE_DEPENDS).
function(ordo_embed_migrations service dir out_var)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(entries "")
  foreach(sql_file IN LISTS sql_files)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sql_file})
    get_filename_component(file_name ${sql_file} NAME)
    string(REGEX MATCH "^([0-9]+)_([A-Za-z0-9_]+)(\\.(sqlite|postgres))?\\.sql$" matched ${file_name})
    if(NOT matched)
      message(FATAL_ERROR "migration file name must be NNN_name[.sqlite|.postgres].sql: ${file_name}")
    endif()
    math(EXPR version "${CMAKE_MATCH_1}")
    set(name ${CMAKE_MATCH_2})
    set(dialect ${CMAKE_MATCH_4})
    if("${dialect}" STREQUAL "")
      set(dialect "any")
    endif()
    file(READ ${sql_file} sql)
    string(APPEND entries "      {${version}, \"${name}\", \"${dialect}\", R\"ordo_sql(${sql})ordo_sql\"},\n")
  endforeach()
  set(out ${CMAKE_BINARY_DIR}/generated/${service}_migrations.cpp)
  file(CONFIGURE OUTPUT ${out} CONTENT
"// Generated from src/services/${service}/schema by cmake/embed_migrations.cmake. Do not edit.
#include \"platform/sql/migrations.hpp\"

namespace ordo::services::${service} {
std::vector<ordo::sql::Migration> migrations() {
  return {
${entries}  };
}
}  // namespace ordo::services::${service}
")
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
