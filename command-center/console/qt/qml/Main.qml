// The duty officer's console window: incident queue (left), offline vector
// map (centre), incident detail with actions (right). Source strings are
// English; zh_CN (the default) comes from i18n/liandong_console_zh_CN.ts.
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

    readonly property var detail: backend.detail
    readonly property bool hasDetail: detail.incidentId !== undefined

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
        var id = backend.incidents.idAt(row)
        if (id === "") return false
        queue.currentIndex = row
        backend.openIncident(id)
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
            Rectangle {
                width: 12; height: 12; radius: 6
                color: backend.linkUp ? "#43a047" : "#e53935"
            }
            Label {
                objectName: "linkLabel"
                color: "white"
                text: backend.linkUp ? qsTr("linked to the centre") : qsTr("link to the centre is down")
            }
            Label {
                color: "white"
                text: backend.signedIn ? qsTr("signed in: %1 (%2)").arg(backend.displayName || backend.userName).arg(backend.role)
                                       : qsTr("not signed in")
            }
            Button {
                objectName: "languageButton"
                text: backend.language === "zh_CN" ? "English" : "中文"
                onClicked: backend.language = backend.language === "zh_CN" ? "en" : "zh_CN"
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

    RowLayout {
        anchors.fill: parent
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
                    text: qsTr("Incident queue (%1)").arg(backend.incidents.count)
                    font.pixelSize: 17
                    font.bold: true
                }
                ListView {
                    id: queue
                    objectName: "queue"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    model: backend.incidents
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
                onIncidentClicked: function(incidentId) {
                    var row = backend.incidents.rowOf(incidentId)
                    if (row >= 0) root.selectRow(row)
                    else backend.openIncident(incidentId)
                }
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
                text: qsTr("zoom %1 · drag to pan, wheel to zoom").arg(map.zoom.toFixed(1))
                color: "#455a64"
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
                        Button { text: "✕"; onClicked: { backend.closeDetail(); queue.currentIndex = -1 } }
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
                        Button { objectName: "verifyButton"; text: qsTr("Verify"); enabled: root.detail.state === "reported"; onClicked: backend.act("verify") }
                        Button { objectName: "respondButton"; text: qsTr("Respond"); enabled: ["reported", "verified", "contained"].indexOf(root.detail.state) >= 0; onClicked: backend.act("respond") }
                        Button { objectName: "containButton"; text: qsTr("Contain"); enabled: root.detail.state === "responding"; onClicked: backend.act("contain") }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: reason; Layout.fillWidth: true; placeholderText: qsTr("reason (for close and level)") }
                        Button { objectName: "closeButton"; text: qsTr("Close"); enabled: root.detail.state !== "closed" && reason.text !== ""; onClicked: backend.act("close", reason.text) }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        ComboBox { id: levelBox; model: ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"]; currentIndex: Math.max(0, (root.detail.level || 4) - 1) }
                        Button { objectName: "setLevelButton"; text: qsTr("Set level"); enabled: reason.text !== ""; onClicked: backend.act("set_level", reason.text, levelBox.currentIndex + 1) }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: agencies; Layout.fillWidth: true; placeholderText: qsTr("agency ids, e.g. py-flood") }
                        TextField { id: taskTitle; Layout.fillWidth: true; placeholderText: qsTr("task") }
                        Button { objectName: "dispatchButton"; text: qsTr("Dispatch"); enabled: agencies.text !== "" && taskTitle.text !== ""; onClicked: backend.dispatch(agencies.text, taskTitle.text, "") }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField { id: sitrepBody; Layout.fillWidth: true; placeholderText: qsTr("situation report text") }
                        ComboBox { id: sitrepKind; model: [qsTr("first report"), qsTr("follow-up report"), qsTr("final report")] }
                        Button { objectName: "sitrepButton"; text: qsTr("Submit"); enabled: sitrepBody.text !== ""; onClicked: backend.sitrep(["first", "followup", "final"][sitrepKind.currentIndex], sitrepBody.text) }
                    }

                    Label { text: qsTr("Tasks (%1)").arg((root.detail.tasks || []).length); font.bold: true }
                    Repeater {
                        model: root.detail.tasks || []
                        delegate: Label {
                            required property var modelData
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            text: modelData.agencyId + " · " + modelData.title + " · " + root.taskStateText(modelData.state)
                                  + " " + modelData.progress + "% · " + qsTr("ack by %1").arg(root.clock(modelData.ackDeadline))
                                  + "\n" + modelData.receipts.map(function(r) {
                                      return "  " + r.recipient + ": " + qsTr("notified %1, seen %2").arg(root.clock(r.notifiedAt)).arg(r.seenAt > 0 ? root.clock(r.seenAt) : qsTr("not yet"))
                                  }).join("\n")
                        }
                    }
                    Label { text: qsTr("Situation reports"); font.bold: true }
                    Repeater {
                        model: root.detail.sitreps || []
                        delegate: Label {
                            required property var modelData
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            color: modelData.overdue ? "#c62828" : "#212121"
                            text: root.sitrepKindText(modelData.kind) + " #" + modelData.seq + " · "
                                  + (modelData.submittedAt > 0 ? qsTr("submitted %1 by %2: %3").arg(root.clock(modelData.submittedAt)).arg(modelData.submittedBy).arg(modelData.body)
                                                               : qsTr("due %1").arg(root.clock(modelData.dueAt)) + (modelData.overdue ? " · " + qsTr("overdue") : ""))
                        }
                    }
                    Label { text: qsTr("Timeline"); font.bold: true }
                    Repeater {
                        model: root.detail.timeline || []
                        delegate: Label {
                            required property var modelData
                            Layout.fillWidth: true
                            wrapMode: Text.Wrap
                            font.pixelSize: 12
                            text: root.clock(modelData.at) + "  " + modelData.actor + "  " + modelData.action + "  " + modelData.detail
                        }
                    }
                }
            }
        }
    }
}
