// A wall window of its own on one screen (--wall-screens N or wall.screens):
// the same VideoWall as the leader's main window, full screen on its monitor,
// with its own layout, presets, page and tour. Created by main_qt.cpp, one
// per screen.
import QtQuick
import QtQuick.Window
import Liandong.Console

Window {
    id: win
    property int index: 0
    color: "#0b1014"
    title: qsTr("Liandong video wall %1").arg(index + 1)
    readonly property alias wall: wallItem
    // For the log and the tests.
    function playingTiles() { return wallItem.playing() }
    function tiles() { return wallItem.maximised >= 0 ? 1 : wallItem.tiles }
    VideoWall {
        id: wallItem
        anchors.fill: parent
    }
}
