// test_map_view_qml: runs the QtQuickTest files in tests/mapping/qml
// (tst_*.qml) against the Liandong.Map QML module linked in statically.
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest/quicktest.h>

Q_IMPORT_QML_PLUGIN(Liandong_MapPlugin)

QUICK_TEST_MAIN(map_view_qml)
