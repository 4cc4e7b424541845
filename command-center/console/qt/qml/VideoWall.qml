// The leaders' video wall: layouts 1, 4, 9, 16 and 1+5 of live tiles (sub
// streams), one tile maximised on the main stream, saved presets, a camera
// tour with a dwell time, and the alarm pop-up — a new incident at the alarm
// level takes tile 0 with its linked (else nearest) camera and gives it back
// after alarm.popup_s. Tiles that are not shown do not exist, so nothing is
// decoded for them.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Liandong.Console

Rectangle {
    id: wall
    color: "#0b1014"
    property string layout: "4"
    property var chosen: []            // cameras picked by a preset; empty: all, in id order
    property int page: 0
    property bool touring: false
    property int maximised: -1
    property int alarmTile: -1
    property var alarm: ({})
    readonly property var cameraIds: chosen.length > 0 ? chosen : (backend.cameras.revision, backend.cameras.ids())
    readonly property int tiles: layout === "1+5" ? 6 : parseInt(layout)
    readonly property int columns: layout === "1+5" ? 3 : Math.round(Math.sqrt(tiles))
    readonly property alias bigTile: big
    readonly property int pages: Math.max(1, Math.ceil(cameraIds.length / tiles))

    function cameraFor(i) {
        if (i === alarmTile && alarm.cameras && alarm.cameras.length > 0) return alarm.cameras[0]
        var n = page * tiles + i
        return n < cameraIds.length ? cameraIds[n] : ""
    }
    function tileRect(i) {
        var cw = grid.width / columns, ch = grid.height / columns
        if (layout === "1+5") {
            if (i === 0) return Qt.rect(0, 0, 2 * cw, 2 * ch)
            var cells = [[2, 0], [2, 1], [0, 2], [1, 2], [2, 2]][i - 1]
            return Qt.rect(cells[0] * cw, cells[1] * ch, cw, ch)
        }
        return Qt.rect((i % columns) * cw, Math.floor(i / columns) * ch, cw, ch)
    }
    function setLayout(l) {
        maximised = -1
        layout = l
        page = 0
        backend.log("wall: layout " + l)
    }
    function applyPreset(p) {
        chosen = p.cameras || []
        setLayout(p.layout)
    }
    // Counts and places for the scripts and tests.
    function playing() {
        var n = big.visible && big.playing ? 1 : 0
        for (var i = 0; i < repeater.count; ++i) if (repeater.itemAt(i) && repeater.itemAt(i).playing) ++n
        return n
    }
    function tilePlaying(i) {
        var t = i >= 0 && i < repeater.count ? repeater.itemAt(i) : null
        return t ? t.playing && t.frames() > 20 : false  // past the first keyframe
    }
    function geometry() {
        var out = []
        for (var i = 0; i < repeater.count; ++i) {
            var t = repeater.itemAt(i)
            if (!t) continue
            var p = t.mapToItem(null, 0, 0)
            out.push([Math.round(p.x), Math.round(p.y), Math.round(t.width), Math.round(t.height)].join(","))
        }
        return out.join(" ")
    }

    Connections {
        target: backend
        function onAlarm(incident) {
            wall.alarm = incident
            wall.maximised = -1
            wall.alarmTile = 0
            alarmTimer.restart()
            backend.log("wall: alarm pop-up for " + incident.incidentId + " in tile 0 with camera "
                        + (incident.cameras.length > 0 ? incident.cameras[0] : "(none)"))
        }
    }
    Timer {
        id: alarmTimer
        interval: backend.alarmPopupS * 1000
        onTriggered: {
            wall.alarmTile = -1
            backend.log("wall: alarm pop-up over, tile 0 back to its camera")
        }
    }
    Timer {
        interval: backend.tourDwellS * 1000
        repeat: true
        running: wall.touring && wall.pages > 1 && wall.maximised < 0
        onTriggered: wall.page = (wall.page + 1) % wall.pages
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 6
            spacing: 6
            Repeater {
                model: ["1", "4", "9", "16", "1+5"]
                Button {
                    required property string modelData
                    objectName: "layout" + modelData
                    text: modelData
                    highlighted: wall.layout === modelData && wall.maximised < 0
                    onClicked: wall.setLayout(modelData)
                }
            }
            Button {
                objectName: "tourButton"
                text: wall.touring ? qsTr("Stop tour") : qsTr("Tour (%1 s)").arg(backend.tourDwellS)
                onClicked: wall.touring = !wall.touring
            }
            Label {
                color: "#b0bec5"
                text: qsTr("page %1/%2").arg(wall.page + 1).arg(wall.pages)
            }
            Item { Layout.fillWidth: true }
            ComboBox {
                id: presetBox
                Layout.preferredWidth: 180
                model: backend.presets
                textRole: "name"
                displayText: currentIndex < 0 ? qsTr("presets") : currentText
                currentIndex: -1
                onActivated: function(index) { wall.applyPreset(backend.presets[index]) }
            }
            TextField { id: presetName; Layout.preferredWidth: 140; placeholderText: qsTr("preset name") }
            Button {
                text: qsTr("Save preset")
                enabled: presetName.text !== ""
                onClicked: {
                    var cams = []
                    for (var i = 0; i < wall.tiles; ++i) cams.push(wall.cameraFor(i))
                    backend.savePreset(presetName.text, wall.layout, cams)
                }
            }
        }
        Item {
            id: grid
            Layout.fillWidth: true
            Layout.fillHeight: true
            Repeater {
                id: repeater
                model: wall.maximised >= 0 ? 0 : wall.tiles
                delegate: VideoTile {
                    required property int index
                    readonly property rect r: wall.tileRect(index)
                    x: r.x; y: r.y; width: r.width; height: r.height
                    objectName: "wallTile" + index
                    cameraId: wall.cameraFor(index)
                    sub: true
                    frameColour: index === wall.alarmTile ? "#e51c23" : "#263238"
                    border.width: index === wall.alarmTile ? 4 : 1
                    caption: index === wall.alarmTile ? "⚠ " + wall.alarm.title + " · " + cameraId : cameraId
                    TapHandler { onDoubleTapped: wall.maximised = index }
                }
            }
            VideoTile {
                id: big
                objectName: "wallMaximised"
                anchors.fill: parent
                visible: wall.maximised >= 0
                live: visible
                cameraId: wall.maximised >= 0 ? wall.cameraFor(wall.maximised) : ""
                sub: false
                TapHandler { onDoubleTapped: wall.maximised = -1 }
            }
        }
    }
}
