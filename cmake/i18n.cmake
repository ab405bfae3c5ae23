# Message catalogues for --lang (cli/i18n.h): each i18n/<ll_CC>/LC_MESSAGES/meshtwin.po is
# compiled by msgfmt (Debian's gettext, scripts/install-deps.sh) into
# <build>/share/meshtwin/locale/<ll_CC>/LC_MESSAGES/meshtwin.mo, where the binary of the build
# tree finds it as an installed one does (cli/data_dir.h); cmake/install.cmake installs them.
find_program(MSGFMT_EXECUTABLE msgfmt)
if(NOT MSGFMT_EXECUTABLE)
  message(FATAL_ERROR "msgfmt not found: run scripts/install-deps.sh (Debian package gettext)")
endif()
file(GLOB MESHTWIN_PO_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/i18n/*/LC_MESSAGES/meshtwin.po)
set(MESHTWIN_LOCALE_DIR ${CMAKE_BINARY_DIR}/share/meshtwin/locale)
set(mo_files)
foreach(po ${MESHTWIN_PO_FILES})
  get_filename_component(lc_dir ${po} DIRECTORY)
  get_filename_component(lang_dir ${lc_dir} DIRECTORY)
  get_filename_component(lang ${lang_dir} NAME)
  set(mo ${MESHTWIN_LOCALE_DIR}/${lang}/LC_MESSAGES/meshtwin.mo)
  # --check: a broken header or plural form fails the build rather than a user's --lang.
  add_custom_command(OUTPUT ${mo}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${MESHTWIN_LOCALE_DIR}/${lang}/LC_MESSAGES
                     COMMAND ${MSGFMT_EXECUTABLE} --check -o ${mo} ${po}
                     DEPENDS ${po}
                     COMMENT "Compiling the ${lang} message catalogue"
                     VERBATIM)
  list(APPEND mo_files ${mo})
endforeach()
add_custom_target(catalogues ALL DEPENDS ${mo_files})
