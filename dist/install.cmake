# Installs the service files: run by `cmake --install` and by cpack, where
# CMAKE_INSTALL_PREFIX is the prefix being installed to (/usr for the
# package), which configure time cannot know. Like GNUInstallDirs, prefix
# /usr keeps its configuration in /etc, any other in PREFIX/etc.
# Set by the caller: SIMPLETUN_SOURCE_DIR, SIMPLETUN_BINARY_DIR,
# SYSTEMD_UNITDIR (empty: PREFIX/lib/systemd/system). file(INSTALL) puts
# $DESTDIR (cpack's staging directory) in front by itself.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(SYSCONFDIR /etc)
else()
  set(SYSCONFDIR ${CMAKE_INSTALL_PREFIX}/etc)
endif()
set(SBINDIR ${CMAKE_INSTALL_PREFIX}/sbin)
if(NOT SYSTEMD_UNITDIR)
  set(SYSTEMD_UNITDIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

foreach(u simpletun-server@.service simpletun-client@.service)
  configure_file(${SIMPLETUN_SOURCE_DIR}/dist/${u}.in
    ${SIMPLETUN_BINARY_DIR}/dist/${u} @ONLY)
  file(INSTALL ${SIMPLETUN_BINARY_DIR}/dist/${u}
    DESTINATION "${SYSTEMD_UNITDIR}")
endforeach()
# The configurations hold no secret (keys are files of their own, 0600,
# made by simpletun-mkcerts) and must stay readable by the server's `user`:
# SIGHUP re-reads them after privileges are dropped.
file(INSTALL ${SIMPLETUN_SOURCE_DIR}/dist/server.conf
  ${SIMPLETUN_SOURCE_DIR}/dist/client.conf
  DESTINATION "${SYSCONFDIR}/simpletun"
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
  DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
    GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
