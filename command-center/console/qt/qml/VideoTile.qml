// One live video tile: a camera's stream (the ingest node's re-serve) drawn
// by qml6glsink into a GstGLQt6VideoItem, its name, and a badge when the feed
// is connecting, stale (stalled), offline or failing. `live: false` (or an
// invisible tile) has no pipeline at all. Used by the duty officer's video
// pane and by every tile of the leaders' wall.
import QtQuick
import QtQuick.Controls
import org.freedesktop.gstreamer.Qt6GLVideoItem
import Liandong.Console

Rectangle {
    id: tile
    property string cameraId: ""
    property bool sub: true           // the sub stream (tiles); false: the main stream
    property bool live: true
    property string caption: cameraId
    property color frameColour: "#37474f"
    property string urlOverride: ""   // e.g. a recorded segment of this camera instead of its live stream
    property bool recording: false    // a recording ends (ended()) instead of starting again
    signal ended()
    readonly property string url: urlOverride !== "" ? urlOverride : cameraId === "" ? "" : (backend.cameras.revision, backend.cameras.urlFor(cameraId, sub))
    readonly property string camState: cameraId === "" ? "" : (backend.cameras.revision, backend.cameras.stateOf(cameraId))
    readonly property bool playing: player.playing
    readonly property string badgeText: {
        if (cameraId === "") return ""
        if (camState === "offline") return qsTr("offline")
        if (camState === "stalled") return qsTr("stale")
        if (url === "") return qsTr("no video address")
        if (player.error !== "") return qsTr("no video")
        if (!player.playing) return qsTr("connecting")
        return ""
    }
    function frames() { return player.frames() }
    function snapshot() { return backend.saveSnapshot(video, cameraId) }

    color: "black"
    border.color: frameColour
    border.width: 2

    GstGLQt6VideoItem {
        id: video
        objectName: "videoItem"
        anchors.fill: parent
        anchors.margins: tile.border.width
    }
    VideoPlayer {
        id: player
        target: video
        url: tile.url
        grants: backend.videoGrants
        latencyMs: backend.videoLatencyMs
        retryOnEnd: !tile.recording
        onEnded: tile.ended()
        active: tile.live && tile.visible && tile.url !== "" && tile.width > 0
    }
    Label {
        anchors.centerIn: parent
        visible: tile.cameraId === ""
        text: qsTr("no camera")
        color: "#78909c"
    }
    Rectangle {
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: tile.border.width
        height: 22
        color: "#99000000"
        visible: tile.cameraId !== ""
        Label {
            anchors.verticalCenter: parent.verticalCenter
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.leftMargin: 6
            text: tile.caption
            color: "white"
            font.pixelSize: 12
            elide: Text.ElideRight
        }
    }
    Rectangle {
        objectName: "badge"
        visible: tile.badgeText !== ""
        anchors.top: parent.top
        anchors.right: parent.right
        anchors.margins: 6
        width: badgeLabel.implicitWidth + 12
        height: 22
        radius: 4
        color: tile.camState === "offline" ? "#c62828" : tile.camState === "stalled" ? "#ef6c00" : "#455a64"
        Label {
            id: badgeLabel
            anchors.centerIn: parent
            text: tile.badgeText
            color: "white"
            font.pixelSize: 12
            font.bold: true
        }
    }
}
