// The leaders' video wall: layouts 1, 4, 9, 16, 1+5 and custom ones (rows ×
// columns, optionally with a main tile spanning S × S cells: "3x4", "4x4+3")
// of live tiles (sub streams), one tile maximised on the main stream, saved presets, a camera
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
    readonly property var spec: wallControl.wallLayout(layout)
    readonly property int tiles: spec.valid ? spec.tiles : 0
    readonly property alias bigTile: big
    readonly property int pages: Math.max(1, Math.ceil(cameraIds.length / tiles))

    function cameraFor(i) {
        if (i === alarmTile && alarm.cameras && alarm.cameras.length > 0) return alarm.cameras[0]
        var n = page * tiles + i
        return n < cameraIds.length ? cameraIds[n] : ""
    }
    function tileRect(i) {
        var r = spec.valid && i < spec.rects.length ? spec.rects[i] : ({x: 0, y: 0, width: 0, height: 0})
        return Qt.rect(r.x * grid.width, r.y * grid.height, r.width * grid.width, r.height * grid.height)
    }
    // A named or custom layout; one that does not parse is refused in a line
    // and the wall keeps its layout.
    function setLayout(l) {
        var s = wallControl.wallLayout(l)
        if (!s.valid) {
            backend.log("wall: " + s.error)
            return false
        }
        maximised = -1
        layout = l
        page = 0
        backend.log("wall: layout " + l)
        return true
    }
    function customLayout() {
        return rowsBox.value + "x" + columnsBox.value + (spanBox.value > 1 ? "+" + spanBox.value : "")
    }
    function applyPreset(p) {
        chosen = p.cameras || []
        setLayout(p.layout)
    }
    Connections {
        target: alarms
        function onAlarm(raised) {
            wall.alarm = raised
            wall.maximised = -1
            wall.alarmTile = 0
            alarmTimer.restart()
            backend.log("wall: alarm pop-up for " + raised.incidentId + " in tile 0 with camera "
                        + (raised.cameras.length > 0 ? raised.cameras[0] : "(none)"))
        }
    }
    Timer {
        id: alarmTimer
        interval: alarms.alarmPopupS * 1000
        onTriggered: {
            wall.alarmTile = -1
            backend.log("wall: alarm pop-up over, tile 0 back to its camera")
        }
    }
    Timer {
        interval: wallControl.tourDwellS * 1000
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
                    Layout.preferredWidth: 56  // the bar fits a 1280 px monitor
                    highlighted: wall.layout === modelData && wall.maximised < 0
                    onClicked: wall.setLayout(modelData)
                }
            }
            // Custom: rows × columns, and a main tile spanning S × S cells (1 = none).
            SpinBox { id: rowsBox; objectName: "wallRows"; from: 1; to: 8; value: 3; Layout.preferredWidth: 84 }
            Label { text: "×"; color: "#b0bec5" }
            SpinBox { id: columnsBox; objectName: "wallColumns"; from: 1; to: 8; value: 4; Layout.preferredWidth: 84 }
            Label { text: qsTr("main"); color: "#b0bec5" }
            SpinBox { id: spanBox; objectName: "wallSpan"; from: 1; to: 7; value: 1; Layout.preferredWidth: 84 }
            Button {
                objectName: "customLayoutButton"
                text: qsTr("Custom")
                highlighted: wall.layout === wall.customLayout() && wall.maximised < 0
                onClicked: wall.setLayout(wall.customLayout())
            }
            Button {
                objectName: "tourButton"
                text: wall.touring ? qsTr("Stop tour") : qsTr("Tour (%1 s)").arg(wallControl.tourDwellS)
                onClicked: wall.touring = !wall.touring
            }
            Label {
                color: "#b0bec5"
                text: qsTr("page %1/%2").arg(wall.page + 1).arg(wall.pages)
            }
            Item { Layout.fillWidth: true }
            ComboBox {
                id: presetBox
                Layout.preferredWidth: 150
                model: wallControl.presets
                textRole: "name"
                displayText: currentIndex < 0 ? qsTr("presets") : currentText
                currentIndex: -1
                onActivated: function(index) { wall.applyPreset(wallControl.presets.get(index)) }
            }
            TextField { id: presetName; Layout.preferredWidth: 120; placeholderText: qsTr("preset name") }
            Button {
                text: qsTr("Save preset")
                enabled: presetName.text !== ""
                onClicked: {
                    var cams = []
                    for (var i = 0; i < wall.tiles; ++i) cams.push(wall.cameraFor(i))
                    wallControl.savePreset(presetName.text, wall.layout, cams)
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
