// A wall window of its own on one screen (--wall-screens N or wall.screens):
// the same VideoWall as the leader's main window, full screen on its monitor,
// with its own layout, presets, page and tour. Created by ConsoleApp
// (console_app.cpp), one per screen.
import QtQuick
import QtQuick.Window
import Liandong.Console

Window {
    id: win
    property int index: 0
    color: "#0b1014"
    title: qsTr("Liandong video wall %1").arg(index + 1)
    readonly property alias wall: wallItem
    VideoWall {
        id: wallItem
        objectName: "wall"
        anchors.fill: parent
    }
}
