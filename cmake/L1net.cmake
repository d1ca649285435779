include(GNUInstallDirs)
include(CheckLinkerFlag)

# Shared options target and helpers: target-based only, no global flags.
add_library(l1net_options INTERFACE)
add_library(l1net::options ALIAS l1net_options)
target_compile_options(l1net_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual
  -Wno-missing-field-initializers  # designated initializers leave fields defaulted on purpose
  $<$<BOOL:${L1NET_WARNINGS_AS_ERRORS}>:-Werror>)
target_compile_definitions(l1net_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_CONCEPTS)
# Debug info is line tables only, compressed: backtraces and sanitizer reports keep file:line, a
# translation unit compiles about a third faster, and its object is about a sixth of the size (full
# -g build trees filled CI's disk).
target_compile_options(l1net_options INTERFACE "$<$<CONFIG:Debug,RelWithDebInfo>:-g1;-gz>")
target_link_options(l1net_options INTERFACE $<$<CONFIG:Debug,RelWithDebInfo>:-gz>)

if(L1NET_SANITIZE)
  target_compile_options(l1net_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=undefined)
  target_link_options(l1net_options INTERFACE -fsanitize=address,undefined)
endif()
if(L1NET_FUZZ)
  target_compile_options(l1net_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(l1net_options INTERFACE -fsanitize=address,undefined)
endif()
if(L1NET_CLANG_TIDY)
  find_program(CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
  set(CMAKE_CXX_CLANG_TIDY ${CLANG_TIDY_EXE})
endif()

# l1net_add_library(name SOURCES ... DEPS ... [INCLUDE dir]) -> l1net_<name>, alias l1net::<name>
function(l1net_add_library name)
  cmake_parse_arguments(ARG "" "INCLUDE" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_INCLUDE)
    set(ARG_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  if(NOT ARG_SOURCES)  # header-only until its first source file lands
    add_library(l1net_${name} INTERFACE)
    add_library(l1net::${name} ALIAS l1net_${name})
    target_include_directories(l1net_${name} INTERFACE ${ARG_INCLUDE})
    target_link_libraries(l1net_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(l1net_${name} STATIC ${ARG_SOURCES})
  add_library(l1net::${name} ALIAS l1net_${name})
  target_include_directories(l1net_${name} PUBLIC ${ARG_INCLUDE})
  target_link_libraries(l1net_${name} PUBLIC ${ARG_DEPS} l1net::options PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

check_linker_flag(CXX "LINKER:-z,pack-relative-relocs" L1NET_HAVE_RELR)

# l1net_add_executable(name SOURCES ... DEPS ...)
function(l1net_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} l1net::options)
  target_compile_definitions(${name} PRIVATE L1NET_VERSION="${PROJECT_VERSION}")
  # Daemons and CLIs are installed; benchmarks and test tools stay in the build tree.
  file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT rel MATCHES "^(bench|tests)(/|$)")
    install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
  # Map only the shared libraries a binary really uses (fewer file-backed pages in its RSS).
  target_link_options(${name} PRIVATE LINKER:--as-needed)
  # Resident-set trimming for the daemons (docs/speaker-performance.md, "Memory"): drop the
  # sections nothing references, and pack the relative relocations (DT_RELR, glibc >= 2.36):
  # ld.so reads ~10 KiB of them at start instead of ~650 KiB of RELA entries.
  target_link_options(${name} PRIVATE LINKER:--gc-sections)
  if(L1NET_HAVE_RELR)
    target_link_options(${name} PRIVATE LINKER:-z,pack-relative-relocs)
  endif()
  # The C++ runtime too, once no shared library needs libstdc++.so (L1NET_STATIC_DEPS): glibc
  # stays the only shared object. Not with the sanitizers, whose runtimes expect the shared one.
  if(L1NET_STATIC_DEPS AND NOT L1NET_SANITIZE)
    target_link_options(${name} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()

# l1net_add_test(name SOURCES ... DEPS ... [LABEL unit|integration])
# One doctest binary per library; every TEST_CASE becomes a ctest test with the label.
function(l1net_add_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} l1net::test_main l1net::options)
  doctest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL}
                         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# l1net_add_fuzzer(name SOURCES ... DEPS ...): built only in the fuzz preset. Each fuzzer is also a
# ctest test (label "fuzz"): a smoke run of L1NET_FUZZ_SECONDS (default 20) from its committed
# seed corpus fuzz/corpus/<name>/ (read only; new inputs go to the build tree). A crash fails the
# test and leaves the input as crash-* in the build tree: make it a regression test.
set(L1NET_FUZZ_SECONDS 20 CACHE STRING "Seconds per fuzzer in the ctest smoke run")
function(l1net_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(L1NET_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS} l1net::options)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set(seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
    set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-work/${name})
    add_test(NAME fuzz.${name}
             COMMAND sh -c "mkdir -p '${work}' && cd '${work}' && exec '$<TARGET_FILE:${name}>' \
-max_total_time=${L1NET_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
'${work}' '${seeds}'")
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
endfunction()
