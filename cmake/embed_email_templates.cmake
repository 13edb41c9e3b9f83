# Embeds the notifications service's e-mail templates (email_templates/*.txt, *.html) into the
# binary, so the one `ordo` file carries them; notifications.email_templates_dir overrides them at
# run time. Editing a template re-runs CMake (CONFIGURE_DEPENDS).
function(ordo_embed_email_templates dir out_var)
  file(GLOB templates CONFIGURE_DEPENDS ${dir}/*.txt ${dir}/*.html)
  list(SORT templates)
  set(entries "")
  foreach(template IN LISTS templates)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${template})
    get_filename_component(file_name ${template} NAME)
    file(READ ${template} text)
    string(APPEND entries "      {\"${file_name}\", R\"ordo_template(${text})ordo_template\"},\n")
  endforeach()
  set(out ${CMAKE_BINARY_DIR}/generated/email_templates.cpp)
  # Written, then copied only when it changed (no rebuild otherwise). Not file(CONFIGURE): it
  # would substitute ${...} and @...@ inside the templates.
  file(WRITE ${out}.new
"// Generated from src/services/notifications/email_templates by cmake/embed_email_templates.cmake.
// Do not edit.
#include \"services/notifications/email_message.hpp\"

namespace ordo::services::notifications {
const EmailTemplates& embedded_email_templates() {
  static const EmailTemplates templates{
${entries}  };
  return templates;
}
}  // namespace ordo::services::notifications
")
  configure_file(${out}.new ${out} COPYONLY)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
