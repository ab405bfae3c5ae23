# Writes the man pages from the programs' own --help with Debian's help2man, so they cannot
# drift from the binaries: meshtwin(1), one meshtwin-SUBCOMMAND(1) per subcommand that
# `meshtwin --help` lists (as git does), and meshtwin-viewer(1). The build runs this script
# (cmake -P) whenever a program is relinked; cmake/install.cmake installs OUT/*.1.gz.
# Variables: HELP2MAN, GZIP, MESHTWIN (binary), VIEWER (binary, or empty without the viewer),
# VERSION, OUT (folder to write).
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})

# help2man runs `PROGRAM --help`; with the binaries' folders on PATH it runs them by bare name,
# so that the pages say `meshtwin run ...`, not the build tree's path.
get_filename_component(cli_dir ${MESHTWIN} DIRECTORY)
set(path "${cli_dir}")
if(VIEWER)
  get_filename_component(gui_dir ${VIEWER} DIRECTORY)
  string(APPEND path ":${gui_dir}")
endif()
set(ENV{PATH} "${path}:$ENV{PATH}")
# The viewer builds its QApplication before parsing arguments: no display is needed for --help.
set(ENV{QT_QPA_PLATFORM} offscreen)
# In the asan preset a leak report at exit (Qt's, fontconfig's) would turn --help's exit code
# non-zero and help2man would refuse the output; leaks are the tests' business, not the pages'.
set(ENV{ASAN_OPTIONS} "detect_leaks=0")

function(help2man page)  # page, then help2man's own arguments
  execute_process(
    COMMAND ${HELP2MAN} --no-info --section=1 --manual=meshtwin "--source=meshtwin ${VERSION}"
            --output=${OUT}/${page}.1 ${ARGN}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "help2man for ${page} failed (${rc}): ${err}")
  endif()
  # Debian's manuals are gzip-compressed; -n leaves the time out, so the file is reproducible.
  execute_process(COMMAND ${GZIP} -9 -n -f ${OUT}/${page}.1 RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page}.1 failed")
  endif()
endfunction()

# The subcommands and the NAME line of each page, from the "Subcommands:" block of --help: its
# description up to the first ";", ":" or " (" (a NAME line is short; the page's DESCRIPTION
# has the whole text). The `;` also splits CMake's list, so cutting there comes first.
execute_process(COMMAND ${MESHTWIN} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "meshtwin --help failed (${rc})")
endif()
string(REGEX MATCH "\nSubcommands:\n(.*)" block "${help}")
set(block "${CMAKE_MATCH_1}")
string(REPLACE "\n" ";" lines "${block}")
set(subcommands "")
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([a-z][a-z-]*) +(.*)$")
    list(APPEND subcommands ${CMAKE_MATCH_1})
    set(sub ${CMAKE_MATCH_1})
    string(REGEX REPLACE "(:| \\().*$" "" short "${CMAKE_MATCH_2}")
    string(STRIP "${short}" description_${sub})
  endif()
endforeach()
list(LENGTH subcommands count)
if(count EQUAL 0)
  message(FATAL_ERROR "no subcommands found in `meshtwin --help`")
endif()

set(see_also "")
foreach(sub IN LISTS subcommands)
  string(APPEND see_also ".BR meshtwin-${sub} (1),\n")
endforeach()
if(VIEWER)
  string(APPEND see_also ".BR meshtwin-viewer (1),\n")
endif()
string(APPEND see_also ".BR dot (1)\n")

set(data_section "[FILES]
.TP
.I ../share/meshtwin/scenarios
The bundled scenarios, beside the folder of the binary (so
.I /usr/local/share/meshtwin/scenarios
after
.BR \"make install\" ,
.I /usr/share/meshtwin/scenarios
from the .deb). A scenario not found from the current folder is looked up there:
.B meshtwin run bookinfo/reviews-80-20.yaml
runs the installed one.
.TP
.I ../share/meshtwin/third_party/istio-samples
Istio's sample manifests (Apache-2.0, with LICENSE and NOTICE.md).
.PP
.B meshtwin --data-dir
prints the folder.
")

file(WRITE ${OUT}/meshtwin.h2m "${data_section}
[SEE ALSO]
${see_also}.PP
The full documentation is in /usr/share/doc/meshtwin (or PREFIX/share/doc/meshtwin).
")
help2man(meshtwin "--name=a discrete-event digital twin of an Istio service mesh"
         --include=${OUT}/meshtwin.h2m meshtwin)

foreach(sub IN LISTS subcommands)
  file(WRITE ${OUT}/meshtwin-${sub}.h2m "[SEE ALSO]\n.BR meshtwin (1)\n")
  help2man(meshtwin-${sub} "--name=${description_${sub}}" "--version-string=meshtwin-${sub} ${VERSION}"
           "--help-option=${sub} --help" --include=${OUT}/meshtwin-${sub}.h2m meshtwin)
endforeach()

if(VIEWER)
  file(WRITE ${OUT}/meshtwin-viewer.h2m "[SEE ALSO]\n.BR meshtwin (1)\n")
  help2man(meshtwin-viewer "--name=the Qt6 window onto a meshtwin results file"
           "--version-string=meshtwin-viewer ${VERSION}" --include=${OUT}/meshtwin-viewer.h2m
           meshtwin-viewer)
endif()
file(GLOB includes ${OUT}/*.h2m)
file(REMOVE ${includes})
