# `cmake --install` and a Debian package (cpack -G DEB, scripts/package):
# the binary, /etc/looplive/looplive.yaml (conf/looplive.yaml with its paths
# under /var/lib/looplive), /etc/looplive/looplive.env for secrets, and a
# hardened systemd unit running as its own user.
include(GNUInstallDirs)

set(LOOPLIVE_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/looplive)
set(LOOPLIVE_STATE_DIR /var/lib/looplive)
set(LOOPLIVE_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/looplive)

# The sample configuration, its relative media root made the service's.
file(READ ${PROJECT_SOURCE_DIR}/conf/looplive.yaml sample_config)
string(REPLACE "media_root: ../var/media" "media_root: ${LOOPLIVE_STATE_DIR}/media" installed_config
               "${sample_config}")
if(installed_config STREQUAL sample_config)
  message(FATAL_ERROR "conf/looplive.yaml no longer sets 'media_root: ../var/media'; update cmake/Install.cmake")
endif()
file(WRITE ${PROJECT_BINARY_DIR}/dist/looplive.yaml "${installed_config}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/conf/looplive.yaml)
configure_file(${PROJECT_SOURCE_DIR}/dist/looplive.service.in ${PROJECT_BINARY_DIR}/dist/looplive.service
               @ONLY)

install(TARGETS looplive RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_BINARY_DIR}/dist/looplive.yaml ${PROJECT_SOURCE_DIR}/dist/looplive.env
        DESTINATION ${LOOPLIVE_CONFIG_DIR})
install(FILES ${PROJECT_BINARY_DIR}/dist/looplive.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/api.md
              ${PROJECT_SOURCE_DIR}/docs/cdn.md ${PROJECT_SOURCE_DIR}/docs/sellers.md
              ${PROJECT_SOURCE_DIR}/docs/openapi.yaml
              ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME looplive)
set(CPACK_PACKAGE_VENDOR looplive)
set(CPACK_PACKAGE_CONTACT "looplive maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Live-streaming media server: RTMP in, LL-HLS and low-latency DASH out")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libavformat59, libpqxx-6.4, ... from the binary
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql (>= 15)")
file(WRITE ${PROJECT_BINARY_DIR}/dist/conffiles
     "${LOOPLIVE_CONFIG_DIR}/looplive.yaml\n${LOOPLIVE_CONFIG_DIR}/looplive.env\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/dist/conffiles ${PROJECT_SOURCE_DIR}/dist/postinst
    ${PROJECT_SOURCE_DIR}/dist/prerm ${PROJECT_SOURCE_DIR}/dist/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
