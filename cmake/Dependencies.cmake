# Every dependency comes from Debian 12 packages (scripts/install-deps).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)  # webhooks to http:// and https:// receivers
find_package(ZLIB REQUIRED)  # gzip for live playlists and MPDs
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil)
pkg_check_modules(LIBRTMP REQUIRED IMPORTED_TARGET librtmp)
# jemalloc for the server binary: its CPU per stream is about 6 % lower than
# with glibc's malloc at the same memory (bench/README.md, "allocator").
# The sanitizers bring their own allocator, so those builds keep glibc's.
if(LOOPLIVE_JEMALLOC AND NOT LOOPLIVE_SANITIZE)
  find_library(JEMALLOC_LIBRARY NAMES jemalloc REQUIRED)
endif()
