// The console window, by the signed-in user's role: a duty officer gets the
// incident queue (left), the offline map with a live video pane (centre) and
// the incident detail with actions and its cameras (right); a leader the
// video wall (full screen) beside the region summary and the map; an agency
// its tasks and a form to raise an incident. Above all of them: the alarm
// banner for new incidents at the alarm level and the link-down banner.
// Source strings are English; zh_CN (the default) comes from
// i18n/liandong_console_zh_CN.ts.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Liandong.Map

ApplicationWindow {
    id: root
    width: 1600
    height: 900
    visible: true
    title: qsTr("Liandong command console") + " — " + backend.consoleId
    color: "#f4f6f8"

    readonly property var detail: incident.detail
    readonly property bool hasDetail: detail.incidentId !== undefined
    readonly property string mode: session.signedIn ? session.mode : "duty"
    property string paneCamera: ""
    // What was typed for one incident (a close reason, a note, a task, a
    // report) never carries over to the next one opened.
    readonly property string openIncidentId: hasDetail ? "" + detail.incidentId : ""
    onOpenIncidentIdChanged: {
        noteText.text = ""
        reason.text = ""
        agencies.text = ""
        taskTitle.text = ""
        sitrepBody.text = ""
    }
    property var alarmIncident: ({})
    visibility: mode === "leader" && fullScreenWall ? Window.FullScreen : Window.Windowed

    // Opens the live video pane on a camera (its main stream), as the
    // camera's play button does.
    function playCamera(cameraId) {
        recordings.stopRecording()
        paneCamera = "" + cameraId
        backend.log("video: pane opens camera " + cameraId)
    }
    // Plays a camera's recording from the incident's time - 30 s, as the
    // camera's ⏺ button does (the pane shows it once the centre answered).
    function playRecording(cameraId) {
        paneCamera = ""
        recordings.playRecording("" + cameraId)
        backend.log("video: recording asked for camera " + cameraId)
    }
    // From a time (ms since the epoch) in the recording shown, as ⏪/⏩ do.
    function playRecordingAt(fromMs) {
        recordings.playRecordingFrom(recordings.recording.cameraId, fromMs)
    }
    readonly property bool recordingShown: recordings.recording.cameraId !== undefined
    function recordingText() {
        var r = recordings.recording
        if (r.cameraId === undefined) return ""
        if (r.error !== undefined) return qsTr("Recording: %1 · %2").arg(r.cameraId).arg(r.error)
        if (r.url === undefined) return qsTr("Recording: %1 · end of the recording").arg(r.cameraId)
        return qsTr("Recording: %1 from %2 · segment %3/%4, %5–%6, %7 s in")
            .arg(r.cameraId).arg(clock(r.from)).arg(r.index + 1).arg(r.segments).arg(clock(r.segmentStart))
            .arg(clock(r.segmentEnd)).arg(r.offsetS.toFixed(0))
    }

    Connections {
        target: alarms
        function onAlarm(raised) {
            root.alarmIncident = raised
            alarmBanner.flashes = 0
            flashTimer.restart()
            alarmHide.restart()
        }
    }
    Timer { id: alarmHide; interval: alarms.alarmPopupS * 1000; onTriggered: root.alarmIncident = ({}) }
    Timer {
        id: flashTimer
        interval: 400
        repeat: true
        onTriggered: if (++alarmBanner.flashes >= 12) stop()
    }

    function colourHex(c) {
        return ({red: "#e51c23", orange: "#ff8f00", yellow: "#fdd835", blue: "#1e6fff"})[c] || "#757575"
    }
    function colourText(c) {
        return ({red: qsTr("red"), orange: qsTr("orange"), yellow: qsTr("yellow"), blue: qsTr("blue")})[c] || qsTr("no colour")
    }
    function stateText(s) {
        return ({reported: qsTr("reported"), verified: qsTr("verified"), responding: qsTr("responding"),
                 contained: qsTr("contained"), closed: qsTr("closed")})[s] || s
    }
    function levelName(l) {
        return ({1: qsTr("Ⅰ (particularly serious)"), 2: qsTr("Ⅱ (serious)"), 3: qsTr("Ⅲ (major)"),
                 4: qsTr("Ⅳ (general)")})[l] || "-"
    }
    function tierText(t) {
        return ({state: qsTr("state"), province: qsTr("province"), city: qsTr("city"), county: qsTr("county"),
                 town: qsTr("town")})[t] || t
    }
    function taskStateText(s) {
        return ({dispatched: qsTr("dispatched"), acknowledged: qsTr("acknowledged"), in_progress: qsTr("in progress"),
                 completed: qsTr("completed"), cancelled: qsTr("cancelled")})[s] || s
    }
    function sitrepKindText(k) {
        return ({first: qsTr("first report"), followup: qsTr("follow-up report"), final: qsTr("final report")})[k] || k
    }
    function clock(ms) {
        return ms > 0 ? Qt.formatDateTime(new Date(ms), "MM-dd hh:mm:ss") : "-"
    }
    // Opens the incident in a queue row, as a click on the row does.
    function selectRow(row) {
        var id = backend.queue.idAt(row)
        if (id === "") return false
        queue.currentIndex = row
        incident.openIncident(id)
        return true
    }

    header: ToolBar {
        background: Rectangle { color: "#263238" }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 12
            spacing: 16
            Label {
                text: qsTr("Liandong command console")
                color: "white"
                font.pixelSize: 20
                font.bold: true
            }
            Item { Layout.fillWidth: true }
            Label {
                color: "#b0bec5"
                text: ({duty: qsTr("duty officer"), agency: qsTr("agency"), leader: qsTr("leader")})[root.mode]
            }
            Rectangle {
                width: 12; height: 12; radius: 6
                color: backend.linkUp ? "#43a047" : "#e53935"
            }
            Label {
                objectName: "linkLabel"
                color: "white"
                text: (backend.linkUp ? qsTr("linked to the centre") : qsTr("link to the centre is down"))
                      + (backend.resyncs > 0 ? " · " + qsTr("resynced %1×").arg(backend.resyncs) : "")
            }
            Label {
                color: "white"
                text: session.signedIn ? qsTr("signed in: %1 (%2)").arg(session.displayName || session.userName).arg(session.role)
                                       : qsTr("not signed in")
            }
            Button {
                objectName: "languageButton"
                text: session.language === "zh_CN" ? "English" : "中文"
                onClicked: session.language = session.language === "zh_CN" ? "en" : "zh_CN"
            }
        }
    }

    footer: Rectangle {
        height: 28
        color: "#eceff1"
        Label {
            anchors.verticalCenter: parent.verticalCenter
            anchors.left: parent.left
            anchors.leftMargin: 12
            text: (backend.busy ? qsTr("working… ") : "") + backend.status
            elide: Text.ElideRight
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

    // Link down: the console keeps showing the last state and resyncs by itself.
    Rectangle {
        objectName: "linkBanner"
        Layout.fillWidth: true
        Layout.preferredHeight: 34
        visible: !backend.linkUp && backend.linkDownSince > 0
        color: "#b71c1c"
        Label {
            anchors.centerIn: parent
            color: "white"
            font.bold: true
            text: qsTr("The link to the centre is down since %1: what you see may be old. Reconnecting by itself…")
                  .arg(root.clock(backend.linkDownSince))
        }
    }
    // A new incident at the alarm level: a flashing banner (and a tone when
    // the machine has sound).
    Rectangle {
        id: alarmBanner
        objectName: "alarmBanner"
        property int flashes: 0
        Layout.fillWidth: true
        Layout.preferredHeight: 44
        visible: root.alarmIncident.incidentId !== undefined
        color: flashes % 2 === 1 ? "#ffffff" : root.colourHex(root.alarmIncident.colour)
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 16
            anchors.rightMargin: 16
            Label {
                Layout.fillWidth: true
                font.pixelSize: 18
                font.bold: true
                color: alarmBanner.flashes % 2 === 1 ? "#b71c1c" : "white"
                text: qsTr("New incident, level %1: %2").arg(root.alarmIncident.levelText || "").arg(root.alarmIncident.title || "")
            }
            Button {
                text: qsTr("Open")
                visible: root.mode === "duty"
                onClicked: {
                    var row = backend.queue.rowOf(root.alarmIncident.incidentId)
                    if (row >= 0) root.selectRow(row)
                    root.alarmIncident = ({})
                }
            }
            Button { text: qsTr("Dismiss"); onClicked: root.alarmIncident = ({}) }
        }
    }

    // Leader: the wall, the region summary and the map.
    Loader {
        id: wallLoader
        Layout.fillWidth: true
        Layout.fillHeight: true
        active: root.mode === "leader"
        visible: active
        sourceComponent: Item {
            property alias wall: wallItem
            width: wallLoader.width
            height: wallLoader.height
            VideoWall {
                id: wallItem
                objectName: "wall"
                anchors.left: parent.left
                anchors.top: parent.top
                anchors.bottom: parent.bottom
                anchors.right: side.left
            }
            Rectangle {
                id: side
                anchors.right: parent.right
                anchors.top: parent.top
                anchors.bottom: parent.bottom
                width: 380
                color: "white"
                Column {
                    id: summary
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.top: parent.top
                    anchors.margins: 12
                    spacing: 6
                    Label { text: qsTr("Region summary"); font.pixelSize: 17; font.bold: true }
                    Label { objectName: "summaryOpen"; text: qsTr("open incidents: %1").arg(backend.summary.open); font.bold: true }
                    Repeater {
                        model: 4
                        delegate: Row {
                            required property int index
                            spacing: 8
                            Rectangle {
                                width: 14; height: 14; radius: 7
                                anchors.verticalCenter: parent.verticalCenter
                                color: ["#e51c23", "#ff8f00", "#fdd835", "#1e6fff"][index]
                            }
                            Label { text: qsTr("level %1: %2").arg(["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"][index]).arg(backend.summary.byLevel[index]) }
                        }
                    }
                    Label { text: qsTr("cameras live / down: %1 / %2").arg(backend.summary.camerasLive).arg(backend.summary.camerasDown) }
                }
                Item {
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.top: summary.bottom
                    anchors.bottom: parent.bottom
                    anchors.topMargin: 12
                    clip: true
                    MapView {
                        anchors.fill: parent
                        provider: backend.tiles
                        longitude: backend.startLongitude
                        latitude: backend.startLatitude
                        zoom: backend.startZoom - 1
                        pulsing: backend.newIncidents
                        sensorStates: backend.sensorStates
                    }
                }
            }
        }
    }
    // Agency: its tasks and the form to raise an incident.
    Loader {
        id: agencyLoader
        Layout.fillWidth: true
        Layout.fillHeight: true
        active: root.mode === "agency"
        visible: active
        sourceComponent: AgencyView {}
    }

    RowLayout {
        visible: root.mode === "duty"
        Layout.fillWidth: true
        Layout.fillHeight: true
        spacing: 0

        // Incident queue
        Rectangle {
            Layout.preferredWidth: 420
            Layout.fillHeight: true
            color: "white"
            ColumnLayout {
                anchors.fill: parent
                spacing: 0
                Label {
                    Layout.fillWidth: true
                    Layout.margins: 10
                    text: backend.queue.count === backend.incidents.count
                          ? qsTr("Incident queue (%1)").arg(backend.incidents.count)
                          : qsTr("Incident queue (%1 of %2)").arg(backend.queue.count).arg(backend.incidents.count)
                    font.pixelSize: 17
                    font.bold: true
                }
                // Filters: level at or above, type, closed ones, a word of the title.
                RowLayout {
                    Layout.fillWidth: true
                    Layout.leftMargin: 10
                    Layout.rightMargin: 10
                    ComboBox {
                        objectName: "levelFilter"
                        Layout.preferredWidth: 110
                        model: [qsTr("all levels"), "Ⅰ", qsTr("Ⅱ and above"), qsTr("Ⅲ and above")]
                        onActivated: backend.queue.maxLevel = [4, 1, 2, 3][currentIndex]
                    }
                    ComboBox {
                        objectName: "typeFilter"
                        Layout.preferredWidth: 120
                        readonly property var types: ["", "flood", "typhoon", "fire", "public_security", "rental_housing", "equipment"]
                        model: [qsTr("all types"), qsTr("flood"), qsTr("typhoon"), qsTr("fire"), qsTr("public security"), qsTr("rental housing"), qsTr("equipment")]
                        onActivated: backend.queue.type = types[currentIndex]
                    }
                    TextField {
                        Layout.fillWidth: true
                        placeholderText: qsTr("search title")
                        onTextChanged: backend.queue.text = text
                    }
                    CheckBox {
                        text: qsTr("closed")
                        checked: backend.queue.showClosed
                        onToggled: backend.queue.showClosed = checked
                    }
                }
                ListView {
                    id: queue
                    objectName: "queue"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    model: backend.queue
                    currentIndex: -1
                    delegate: ItemDelegate {
                        id: row
                        objectName: "queueRow" + index
                        required property int index
                        required property string incidentId
                        required property string title
                        required property string levelText
                        required property string colour
                        required property string state
                        required property string leadTier
                        required property double openedAt
                        width: ListView.view.width
                        height: 64
                        highlighted: ListView.isCurrentItem
                        onClicked: root.selectRow(index)
                        contentItem: RowLayout {
                            spacing: 10
                            Rectangle {
                                Layout.preferredWidth: 8
                                Layout.fillHeight: true
                                color: root.colourHex(row.colour)
                            }
                            Rectangle {
                                Layout.preferredWidth: 40
                                Layout.preferredHeight: 40
                                radius: 20
                                color: root.colourHex(row.colour)
                                Label {
                                    anchors.centerIn: parent
                                    text: row.levelText
                                    font.pixelSize: 18
                                    font.bold: true
                                    color: row.colour === "yellow" ? "#212121" : "white"
                                }
                            }
                            ColumnLayout {
                                Layout.fillWidth: true
                                spacing: 2
                                Label {
                                    Layout.fillWidth: true
                                    text: row.title
                                    color: row.highlighted ? "white" : "#212121"
                                    font.pixelSize: 15
                                    elide: Text.ElideRight
                                }
                                Label {
                                    Layout.fillWidth: true
                                    text: root.stateText(row.state) + " · " + root.colourText(row.colour) + " · "
                                          + qsTr("led by %1").arg(root.tierText(row.leadTier)) + " · " + root.clock(row.openedAt)
                                    color: row.highlighted ? "#eceff1" : "#546e7a"
                                    font.pixelSize: 12
                                    elide: Text.ElideRight
                                }
                            }
                        }
                    }
                    Label {
                        anchors.centerIn: parent
                        visible: queue.count === 0
                        text: qsTr("No incidents")
                        color: "#90a4ae"
                    }
                }
            }
        }

        // Map
        Item {
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            MapView {
                id: map
                objectName: "map"
                anchors.fill: parent
                provider: backend.tiles
                longitude: backend.startLongitude
                latitude: backend.startLatitude
                zoom: backend.startZoom
                selectedIncident: root.hasDetail ? root.detail.incidentId : ""
                pulsing: backend.newIncidents
                sensorStates: backend.sensorStates
                onIncidentClicked: function(incidentId) {
                    var row = backend.queue.rowOf(incidentId)
                    if (row >= 0) root.selectRow(row)
                    else incident.openIncident(incidentId)
                }
                onCameraClicked: function(cameraId) { root.playCamera(cameraId) }
                onSensorClicked: function(sensorId) { sensorChart.open(sensorId) }
            }
            SensorChart {
                id: sensorChart
                objectName: "sensorChart"
                anchors.right: parent.right
                anchors.bottom: parent.bottom
                anchors.margins: 10
                width: Math.min(parent.width - 80, 560)
                height: 320
                z: 2
            }
            Column {
                anchors.right: parent.right
                anchors.top: parent.top
                anchors.margins: 10
                spacing: 6
                Button { text: "+"; width: 40; onClicked: map.zoomAbout(map.width / 2, map.height / 2, 2) }
                Button { text: "−"; width: 40; onClicked: map.zoomAbout(map.width / 2, map.height / 2, -2) }
            }
            Label {
                anchors.left: parent.left
                anchors.bottom: parent.bottom
                anchors.margins: 8
                anchors.leftMargin: 150  // right of the scale bar
                text: (map.regionUnderCursor ? map.regionUnderCursor + " · " : "") +
                      qsTr("zoom %1 · drag to pan, wheel to zoom").arg(map.zoom.toFixed(1))
                color: "#455a64"
            }
            // Live video of one camera (its main stream) over the map.
            Rectangle {
                id: pane
                objectName: "videoPane"
                visible: root.paneCamera !== "" || root.recordingShown
                anchors.left: parent.left
                anchors.top: parent.top
                anchors.margins: 10
                width: Math.min(parent.width - 80, 720)
                height: width * 9 / 16 + 40
                color: "#263238"
                radius: 4
                RowLayout {
                    id: paneBar
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.top: parent.top
                    anchors.margins: 4
                    height: 32
                    Label {
                        objectName: "paneTitle"
                        Layout.fillWidth: true; color: "white"; elide: Text.ElideRight
                        text: root.recordingShown ? root.recordingText() : qsTr("Live: %1").arg(root.paneCamera)
                    }
                    Button {
                        objectName: "recordingBackButton"; text: qsTr("⏪ 30 s"); visible: root.recordingShown
                        onClicked: root.playRecordingAt(recordings.recording.from - 30000)
                    }
                    Button {
                        objectName: "recordingOnButton"; text: qsTr("30 s ⏩"); visible: root.recordingShown
                        onClicked: root.playRecordingAt(recordings.recording.from + 30000)
                    }
                    Button { objectName: "snapshotButton"; text: qsTr("Snapshot"); enabled: paneTile.playing; onClicked: paneTile.snapshot() }
                    Button { text: "✕"; onClicked: { root.paneCamera = ""; recordings.stopRecording() } }
                }
                VideoTile {
                    id: paneTile
                    objectName: "paneTile"
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.bottom: parent.bottom
                    anchors.top: paneBar.bottom
                    anchors.margins: 4
                    cameraId: root.recordingShown ? recordings.recording.cameraId : root.paneCamera
                    urlOverride: root.recordingShown ? (recordings.recording.url || "") : ""
                    recording: root.recordingShown
                    onEnded: recordings.nextRecordingSegment()
                    sub: false
                    live: pane.visible && (!root.recordingShown || recordings.recording.url !== undefined)
                }
            }
        }

        // Incident detail
        Rectangle {
            visible: root.hasDetail
            Layout.preferredWidth: 500
            Layout.fillHeight: true
            color: "white"
            border.color: "#cfd8dc"
            ScrollView {
                anchors.fill: parent
                anchors.margins: 12
                contentWidth: availableWidth
                ColumnLayout {
                    width: parent.width
                    spacing: 8
                    RowLayout {
                        Layout.fillWidth: true
                        Rectangle {
                            width: 44; height: 44; radius: 22
                            color: root.colourHex(root.detail.colour)
                            Label {
                                anchors.centerIn: parent
                                text: root.detail.levelText || ""
                                color: root.detail.colour === "yellow" ? "#212121" : "white"
                                font.pixelSize: 20; font.bold: true
                            }
                        }
                        Label {
                            Layout.fillWidth: true
                            text: root.detail.title || ""
                            font.pixelSize: 18; font.bold: true
                            wrapMode: Text.Wrap
                        }
                        Button { text: "✕"; onClicked: { incident.closeDetail(); queue.currentIndex = -1 } }
                    }
                    Label {
                        objectName: "detailState"
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        text: qsTr("State: %1 · level %2 · %3 · led by %4 · version %5")
                              .arg(root.stateText(root.detail.state)).arg(root.levelName(root.detail.level))
                              .arg(root.colourText(root.detail.colour)).arg(root.tierText(root.detail.leadTier))
                              .arg(root.detail.version)
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        visible: (root.detail.description || "") !== ""
                        text: root.detail.description || ""
                        color: "#455a64"
                    }
                    Label { text: qsTr("Actions"); font.bold: true }
                    Flow {
                        Layout.fillWidth: true
                        spacing: 6
                        Button { objectName: "verifyButton"; text: qsTr("Verify"); enabled: root.detail.state === "reported"; onClicked: incident.act("verify") }
                        Button { objectName: "respondButton"; text: qsTr("Respond"); enabled: ["reported", "verified", "contained"].indexOf(root.detail.state) >= 0; onClicked: incident.act("respond") }
                        Button { objectName: "containButton"; text: qsTr("Contain"); enabled: root.detail.state === "responding"; onClicked: incident.act("contain") }
                        Button { objectName: "reopenButton"; text: qsTr("Reopen"); enabled: root.detail.state === "closed"; onClicked: incident.act("reopen") }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: noteText; objectName: "noteField"; Layout.fillWidth: true; placeholderText: qsTr("note for the timeline") }
                        Button { objectName: "noteButton"; text: qsTr("Add note"); enabled: noteText.text !== ""; onClicked: { incident.act("note", noteText.text); noteText.text = "" } }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: reason; objectName: "reasonField"; Layout.fillWidth: true; placeholderText: qsTr("reason (for close and level)") }
                        Button { objectName: "closeButton"; text: qsTr("Close"); enabled: root.detail.state !== "closed" && reason.text !== ""; onClicked: incident.act("close", reason.text) }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        ComboBox { id: levelBox; model: ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"]; currentIndex: Math.max(0, (root.detail.level || 4) - 1) }
                        Button { objectName: "setLevelButton"; text: qsTr("Set level"); enabled: reason.text !== ""; onClicked: incident.act("set_level", reason.text, levelBox.currentIndex + 1) }
                    }
                    // The agencies covering the place, nearest first: ticking one adds its id below.
                    Flow {
                        Layout.fillWidth: true
                        spacing: 4
                        Repeater {
                            model: incident.agencies
                            delegate: CheckBox {
                                text: model.name + (model.distanceM >= 0 ? " · " + (model.distanceM / 1000).toFixed(1) + " km" : "") +
                                      (model.tasked ? " · " + qsTr("tasked") : "")
                                enabled: !model.tasked
                                checked: (" " + agencies.text.replace(/,/g, " ") + " ").indexOf(" " + model.id + " ") >= 0
                                onToggled: {
                                    var ids = agencies.text.replace(/,/g, " ").split(" ").filter(function(x) { return x !== "" && x !== model.id })
                                    if (checked) ids.push(model.id)
                                    agencies.text = ids.join(" ")
                                }
                            }
                        }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: agencies; objectName: "dispatchAgencies"; Layout.fillWidth: true; placeholderText: qsTr("agency ids, e.g. py-flood") }
                        TextField { id: taskTitle; objectName: "taskTitle"; Layout.fillWidth: true; placeholderText: qsTr("task") }
                        Button { objectName: "dispatchButton"; text: qsTr("Dispatch"); enabled: agencies.text !== "" && taskTitle.text !== ""; onClicked: incident.dispatch(agencies.text, taskTitle.text, "") }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: sitrepBody; Layout.fillWidth: true; placeholderText: qsTr("situation report text") }
                        ComboBox { id: sitrepKind; model: [qsTr("first report"), qsTr("follow-up report"), qsTr("final report")] }
                        Button { objectName: "sitrepButton"; text: qsTr("Submit"); enabled: sitrepBody.text !== ""; onClicked: incident.sitrep(["first", "followup", "final"][sitrepKind.currentIndex], sitrepBody.text) }
                    }

                    Label { text: qsTr("Cameras that see it (%1)").arg(incident.cameras.count); font.bold: true }
                    Repeater {
                        model: incident.cameras
                        delegate: RowLayout {
                            Layout.fillWidth: true
                            readonly property string camState: (backend.cameras.revision, backend.cameras.stateOf(model.cameraId))
                            Button {
                                objectName: "cameraButton" + index
                                text: "▶ " + qsTr("Live video")
                                onClicked: root.playCamera(model.cameraId)
                            }
                            Button {
                                objectName: "recordingButton" + index
                                text: "● " + qsTr("Recording")
                                onClicked: root.playRecording(model.cameraId)
                            }
                            Label {
                                Layout.fillWidth: true
                                elide: Text.ElideRight
                                text: model.cameraId + " · " + qsTr("%1 m").arg(Math.round(model.distance))
                                      + (model.nearest ? " · " + qsTr("nearest, not seeing it") : "")
                            }
                            Rectangle {
                                width: stateLabel.implicitWidth + 10; height: 20; radius: 3
                                color: ({live: "#2e7d32", stalled: "#ef6c00", offline: "#c62828"})[parent.camState] || "#607d8b"
                                Label {
                                    id: stateLabel
                                    anchors.centerIn: parent
                                    color: "white"
                                    font.pixelSize: 11
                                    text: ({live: qsTr("live"), stalled: qsTr("stale"), offline: qsTr("offline"),
                                            connecting: qsTr("connecting"), idle: qsTr("on demand")})[parent.parent.camState] || qsTr("no status")
                                }
                            }
                        }
                    }
                    Label { text: qsTr("Linked alerts (%1)").arg(incident.linkedAlerts.count); font.bold: true }
                    Repeater {
                        model: incident.linkedAlerts
                        delegate: RowLayout {
                            Layout.fillWidth: true
                            Rectangle {
                                width: 26; height: 20; radius: 3
                                color: root.colourHex(model.colour)
                                Label {
                                    anchors.centerIn: parent
                                    text: model.levelText
                                    color: model.colour === "yellow" ? "#212121" : "white"
                                    font.pixelSize: 11; font.bold: true
                                }
                            }
                            Label {
                                Layout.fillWidth: true
                                wrapMode: Text.Wrap
                                color: model.cleared ? "#78909c" : "#212121"
                                text: root.clock(model.onset) + " · "
                                      + (model.sourceKind === "camera" ? qsTr("camera %1") : qsTr("sensor %1")).arg(model.sourceId)
                                      + " · " + model.quantity
                                      + (isNaN(model.value) ? "" : " " + model.value.toFixed(2) + " " + model.unit)
                                      + " · " + qsTr("level %1").arg(root.levelName(model.level))
                                      + (model.cleared ? " · " + qsTr("cleared") : "")
                                      + (model.headline !== "" ? "\n" + model.headline : "")
                            }
                        }
                    }
                    Label { text: qsTr("SOP steps (%1)").arg(incident.sopSteps.count); font.bold: true; visible: incident.sopSteps.count > 0 }
                    Repeater {
                        model: incident.sopSteps
                        delegate: CheckBox {
                            objectName: "sopStep" + model.step
                            Layout.fillWidth: true
                            checked: model.doneAt > 0
                            enabled: model.tickable
                            text: model.step + ". " + model.text
                                  + (model.agencyKind !== "" ? " (" + model.agencyKind + ")" : "")
                                  + (model.doneAt > 0 ? " · " + qsTr("done %1 by %2").arg(root.clock(model.doneAt)).arg(model.doneBy) : "")
                            // The centre's answer redraws the list; until then the box stays as it was.
                            onToggled: { checked = model.doneAt > 0; incident.tickStep(model.step) }
                        }
                    }
                    Label { text: qsTr("Tasks (%1)").arg(incident.tasks.count); font.bold: true }
                    Repeater {
                        model: incident.tasks
                        delegate: Label {
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            text: model.agencyId + " · " + model.title + " · " + root.taskStateText(model.state)
                                  + " " + model.progress + "% · " + qsTr("ack by %1").arg(root.clock(model.ackDeadline))
                                  + "\n" + model.receipts.map(function(r) {
                                      return "  " + r.recipient + ": " + qsTr("notified %1, seen %2").arg(root.clock(r.notifiedAt)).arg(r.seenAt > 0 ? root.clock(r.seenAt) : qsTr("not yet"))
                                  }).join("\n")
                        }
                    }
                    Label { text: qsTr("Situation reports"); font.bold: true }
                    Repeater {
                        model: incident.sitreps
                        delegate: Label {
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            color: model.overdue ? "#c62828" : "#212121"
                            text: root.sitrepKindText(model.kind) + " #" + model.seq + " · "
                                  + (model.submittedAt > 0 ? qsTr("submitted %1 by %2: %3").arg(root.clock(model.submittedAt)).arg(model.submittedBy).arg(model.body)
                                                               : qsTr("due %1").arg(root.clock(model.dueAt)) + (model.overdue ? " · " + qsTr("overdue") : ""))
                        }
                    }
                    Label { text: qsTr("Timeline"); font.bold: true }
                    Repeater {
                        model: incident.timeline
                        delegate: Label {
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            font.pixelSize: 12
                            text: root.clock(model.at) + "  " + model.actor + "  " + model.text
                        }
                    }
                }
            }
        }
    }
    }
}
