# Logging: spdlog and fmt header-only when L1NET_STATIC_DEPS is on (Debian ships no archive of
# either), the shared objects otherwise. Targets link l1net::spdlog, never spdlog::spdlog.
add_library(l1net_spdlog INTERFACE)
add_library(l1net::spdlog ALIAS l1net_spdlog)
if(L1NET_STATIC_DEPS)
  # spdlog::spdlog_header_only, minus its link to the shared libfmt.
  get_target_property(spdlog_includes spdlog::spdlog_header_only INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(l1net_spdlog SYSTEM INTERFACE ${spdlog_includes})
  target_compile_definitions(l1net_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
  target_link_libraries(l1net_spdlog INTERFACE fmt::fmt-header-only Threads::Threads)
else()
  target_link_libraries(l1net_spdlog INTERFACE spdlog::spdlog)
endif()

if(NOT L1NET_STATIC_DEPS)
  return()
endif()

# l1net_static_archive(VAR name): the path of lib<name>.a, or a configure error naming the
# Debian package that ships it.
function(l1net_static_archive var name package)
  find_library(${var} NAMES lib${name}.a)
  if(NOT ${var})
    message(FATAL_ERROR "lib${name}.a not found (Debian: ${package}); or configure with "
                        "-DL1NET_STATIC_DEPS=OFF")
  endif()
endfunction()

# Boost and OpenSSL: Boost_USE_STATIC_LIBS and OPENSSL_USE_STATIC_LIBS (CMakeLists.txt).
# yaml-cpp's package config imports only the shared object: point its target at the archive.
if(TARGET yaml-cpp)
  l1net_static_archive(L1NET_YAML_CPP_A yaml-cpp libyaml-cpp-dev)
  get_target_property(configs yaml-cpp IMPORTED_CONFIGURATIONS)
  foreach(config IN LISTS configs)
    set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION_${config} ${L1NET_YAML_CPP_A}
                                              IMPORTED_SONAME_${config} "")
  endforeach()
  set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION ${L1NET_YAML_CPP_A})
endif()
# libnl, c-ares and libyaml: the pkg-config targets, re-pointed at the archives (libnl-route needs
# libnl).
l1net_static_archive(L1NET_NL_ROUTE_A nl-route-3 libnl-route-3-dev)
l1net_static_archive(L1NET_NL_A nl-3 libnl-3-dev)
set_target_properties(PkgConfig::LIBNL PROPERTIES
  INTERFACE_LINK_LIBRARIES "${L1NET_NL_ROUTE_A};${L1NET_NL_A};Threads::Threads;m"
  INTERFACE_LINK_DIRECTORIES "")
l1net_static_archive(L1NET_CARES_A cares libc-ares-dev)
set_target_properties(PkgConfig::CARES PROPERTIES
  INTERFACE_LINK_LIBRARIES "${L1NET_CARES_A}" INTERFACE_LINK_DIRECTORIES "")
l1net_static_archive(L1NET_YAML_A yaml libyaml-dev)
set_target_properties(PkgConfig::LIBYAML PROPERTIES
  INTERFACE_LINK_LIBRARIES "${L1NET_YAML_A}" INTERFACE_LINK_DIRECTORIES "")
