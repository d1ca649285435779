# Install rules: `cmake --install build [--prefix P]` (DESTDIR respected) or `make install`.
# Included last, so every executable target defined by then is known. Installs:
#   <prefix>/bin/          every daemon and CLI (l1net_add_executable, except *_bench)
#   <prefix>/lib/systemd/system/  one unit per installed daemon, ExecStart pointing at <prefix>/bin
#   <prefix>/lib/sysusers.d/l1net.conf
#   /etc/l1net/            example configuration, never overwriting a file the user changed
include(GNUInstallDirs)

set(L1NET_CONFDIR "/etc/l1net" CACHE PATH "configuration directory the units read (absolute)")
set(L1NET_UNITDIR "${CMAKE_INSTALL_LIBDIR}/systemd/system" CACHE PATH "systemd units, below the prefix")
set(L1NET_SYSUSERSDIR "${CMAKE_INSTALL_LIBDIR}/sysusers.d" CACHE PATH "sysusers.d, below the prefix")
# Debian's GNUInstallDirs gives lib/x86_64-linux-gnu: systemd only searches lib/.
if(CMAKE_INSTALL_LIBDIR MATCHES "/")
  set(L1NET_UNITDIR "lib/systemd/system" CACHE PATH "" FORCE)
  set(L1NET_SYSUSERSDIR "lib/sysusers.d" CACHE PATH "" FORCE)
endif()

# The units name the binaries by absolute path; they are configured at install time so that
# `cmake --install --prefix P` (which can differ from CMAKE_INSTALL_PREFIX) is honoured.
set(L1NET_UNIT_TEMPLATE_DIR "${PROJECT_SOURCE_DIR}/systemd")
set(L1NET_UNIT_STAGING "${PROJECT_BINARY_DIR}/systemd")
foreach(daemon controller speaker dnsd)
  if(TARGET l1net-${daemon} AND EXISTS "${L1NET_UNIT_TEMPLATE_DIR}/l1net-${daemon}.service.in")
    install(CODE "
      set(L1NET_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
      configure_file(\"${L1NET_UNIT_TEMPLATE_DIR}/l1net-${daemon}.service.in\"
                     \"${L1NET_UNIT_STAGING}/l1net-${daemon}.service\" @ONLY)
      file(INSTALL \"${L1NET_UNIT_STAGING}/l1net-${daemon}.service\"
           DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${L1NET_UNITDIR}\")")
  endif()
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/systemd/l1net.sysusers.conf
        DESTINATION ${L1NET_SYSUSERSDIR} RENAME l1net.conf)

# Example configuration: installed when absent; when present and different (the user changed
# it), kept as is and the new example written next to it as <file>.l1net-new.
function(l1net_install_config src dest_rel)
  install(CODE "
    set(dest \"\$ENV{DESTDIR}${L1NET_CONFDIR}/${dest_rel}\")
    get_filename_component(dir \"\${dest}\" DIRECTORY)
    file(MAKE_DIRECTORY \"\${dir}\")
    if(NOT EXISTS \"\${dest}\")
      message(STATUS \"Installing: \${dest}\")
      file(COPY_FILE \"${src}\" \"\${dest}\")
    else()
      file(SHA256 \"${src}\" new_sum)
      file(SHA256 \"\${dest}\" old_sum)
      if(new_sum STREQUAL old_sum)
        message(STATUS \"Up-to-date: \${dest}\")
      else()
        message(STATUS \"Kept (changed by the user): \${dest}; new example in \${dest}.l1net-new\")
        file(COPY_FILE \"${src}\" \"\${dest}.l1net-new\")
      endif()
    endif()")
endfunction()
l1net_install_config(${PROJECT_SOURCE_DIR}/config/metallb-pool.yaml manifests/metallb-pool.yaml)
l1net_install_config(${PROJECT_SOURCE_DIR}/config/l2advertisement.yaml manifests/l2advertisement.yaml)
if(TARGET l1net-dnsd)
  l1net_install_config(${PROJECT_SOURCE_DIR}/config/dnsd.conf dnsd.conf)
endif()
