# `cmake --install` and the .deb (CPack): the programs, their man pages, the bundled data and the
# documentation, in the FHS layout Debian uses (docs/install.md):
#   bin/meshtwin, bin/meshtwin-viewer
#   share/meshtwin/scenarios/...                    the bundled scenarios, tree as in the source
#   share/meshtwin/third_party/istio-samples/...    Istio's samples with LICENSE and NOTICE.md
#   share/meshtwin/locale/<ll_CC>/LC_MESSAGES/meshtwin.mo   the --lang catalogues (cmake/i18n.cmake)
#   share/man/man1/meshtwin*.1.gz                   from --help (help2man), at build time
#   share/doc/meshtwin/README.md, docs/...          the documentation, links between them intact
# bin/ and share/meshtwin are fixed (not CMAKE_INSTALL_BINDIR/DATADIR): the installed binary
# finds its data as ../share/meshtwin from its own folder (cli/data_dir.h), so the two must not
# be moved apart by a cache variable.
include(GNUInstallDirs)

install(TARGETS meshtwin RUNTIME DESTINATION bin)
if(TARGET meshtwin-viewer)
  install(TARGETS meshtwin-viewer RUNTIME DESTINATION bin)
endif()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION share/meshtwin/scenarios)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/third_party/istio-samples/
        DESTINATION share/meshtwin/third_party/istio-samples)

install(DIRECTORY ${MESHTWIN_LOCALE_DIR}/ DESTINATION share/meshtwin/locale FILES_MATCHING PATTERN "*.mo")

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# Man pages, regenerated whenever a program is relinked. help2man comes from
# scripts/install-deps.sh; without it (a hand-made build machine) there are no pages and a warning.
option(MESHTWIN_MAN_PAGES "Generate man pages from --help with help2man" ON)
if(MESHTWIN_MAN_PAGES)
  find_program(HELP2MAN_EXECUTABLE help2man)
  find_program(GZIP_EXECUTABLE gzip)
  if(HELP2MAN_EXECUTABLE AND GZIP_EXECUTABLE)
    set(man_dir ${PROJECT_BINARY_DIR}/man)
    set(man_viewer "")
    set(man_depends meshtwin)
    if(TARGET meshtwin-viewer)
      set(man_viewer $<TARGET_FILE:meshtwin-viewer>)
      list(APPEND man_depends meshtwin-viewer)
    endif()
    add_custom_command(
      OUTPUT ${man_dir}/meshtwin.1.gz
      COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN_EXECUTABLE} -DGZIP=${GZIP_EXECUTABLE}
              -DMESHTWIN=$<TARGET_FILE:meshtwin> -DVIEWER=${man_viewer}
              -DVERSION=${PROJECT_VERSION} -DOUT=${man_dir}
              -P ${PROJECT_SOURCE_DIR}/cmake/man_pages.cmake
      DEPENDS ${man_depends} ${PROJECT_SOURCE_DIR}/cmake/man_pages.cmake
      COMMENT "Generating man pages from --help (help2man)"
      VERBATIM)
    add_custom_target(man_pages ALL DEPENDS ${man_dir}/meshtwin.1.gz)
    install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
            FILES_MATCHING PATTERN "*.1.gz")
  else()
    message(WARNING "help2man or gzip not found: no man pages (run scripts/install-deps.sh)")
  endif()
endif()

# The .deb: `make package` (or `cpack` in a build folder) writes meshtwin_VERSION_ARCH.deb.
set(MESHTWIN_PACKAGE_MAINTAINER
    "meshtwin maintainers <maintainers@users.noreply.b-seed-924126b4.example>"
    CACHE STRING "Maintainer field of the .deb (Name <email>)")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME meshtwin)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${MESHTWIN_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "discrete-event digital twin of an Istio service mesh")
# Debian's extended description; CPack puts the summary above it as the first line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "meshtwin reads the Kubernetes and Istio YAML you apply (Services, Deployments,
VirtualService, DestinationRule, Gateway, ServiceEntry, Sidecar) plus a short
scenario file, simulates every request through clients, sidecars and pods with
Istio's and Envoy's semantics, and writes the outcomes to a SQLite results file.
.
This package holds the meshtwin command (run, check, diff, report, explain,
lint, conformance, graph), the meshtwin-viewer Qt6 window onto results files,
the bundled scenarios and Istio's sample manifests.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The shared libraries the binaries link (libQt6*, libsqlite3, libyaml-cpp, libre2, libfmt,
# libstdc++, ...) are found by dpkg-shlibdeps (dpkg-dev). What it cannot see, because the
# viewer loads it at run time: Qt's platform plugins (xcb for a desktop, offscreen for
# --screenshot) and a font, without which Qt draws no text.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(TARGET meshtwin-viewer)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins, fonts-dejavu-core")
endif()
# `meshtwin graph` prints Graphviz DOT: `meshtwin graph ... | dot -Tsvg` needs dot.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS graphviz)
# Smaller binaries; the Release builds carry no debug information worth shipping.
set(CPACK_STRIP_FILES ON)
include(CPack)
