# Third-party dependencies, all from Debian 12 packages (see scripts/debian-packages.txt).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(GTest REQUIRED)
pkg_check_modules(ZMQ REQUIRED IMPORTED_TARGET libzmq)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(MOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)
pkg_check_modules(MODBUS REQUIRED IMPORTED_TARGET libmodbus)
# Qt 6.4 (Debian 12) for the Qt Quick console and its QML modules; Linguist for its translations.
find_package(Qt6 6.4 REQUIRED COMPONENTS Core Gui Widgets Qml Quick Test LinguistTools)
# Cameras (ingest): GStreamer 1.22, its app library and gst-rtsp-server.
pkg_check_modules(GST REQUIRED IMPORTED_TARGET gstreamer-1.0 gstreamer-app-1.0 gstreamer-rtsp-server-1.0 gio-2.0)
# Camera probing and clip export (ingest): FFmpeg's libraries (remux, no re-encode).
pkg_check_modules(AV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil)
