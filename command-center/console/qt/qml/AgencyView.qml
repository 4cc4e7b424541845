// The field agency's screen: its tasks (acknowledge, report progress,
// complete — each a real call the centre audits) and a form to raise an
// incident from the field at a place (the map's centre by default).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Rectangle {
    id: agency
    color: "white"
    property double latitude: backend.startLatitude
    property double longitude: backend.startLongitude

    function taskStateText(s) {
        return ({dispatched: qsTr("dispatched"), acknowledged: qsTr("acknowledged"), in_progress: qsTr("in progress"),
                 completed: qsTr("completed"), cancelled: qsTr("cancelled")})[s] || s
    }
    RowLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 16
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            RowLayout {
                Label {
                    text: qsTr("Our tasks (%1) · agency %2").arg(agencyTasks.tasks.count).arg(session.agencyId)
                    font.pixelSize: 17
                    font.bold: true
                }
                Item { Layout.fillWidth: true }
                Button { text: qsTr("Refresh"); onClicked: agencyTasks.loadTasks() }
            }
            ListView {
                id: taskList
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true
                spacing: 8
                model: agencyTasks.tasks
                delegate: Rectangle {
                    width: ListView.view.width
                    height: 96
                    radius: 6
                    color: model.state === "dispatched" ? "#fff3e0" : "#eceff1"
                    border.color: "#cfd8dc"
                    ColumnLayout {
                        anchors.fill: parent
                        anchors.margins: 8
                        Label { text: model.title + " · " + model.incidentTitle; font.bold: true; font.pixelSize: 15 }
                        Label {
                            text: agency.taskStateText(model.state) + " · " + model.progress + "% · "
                                  + qsTr("acknowledge by %1").arg(Qt.formatDateTime(new Date(model.ackDeadline), "MM-dd hh:mm"))
                            color: "#546e7a"
                        }
                        RowLayout {
                            Button {
                                objectName: "ackButton" + index
                                text: qsTr("Acknowledge")
                                enabled: model.state === "dispatched"
                                onClicked: agencyTasks.taskAction(model.taskId, "acknowledge")
                            }
                            Button {
                                text: qsTr("Progress 50%")
                                enabled: model.state === "acknowledged" || model.state === "in_progress"
                                onClicked: agencyTasks.taskAction(model.taskId, "progress", qsTr("on the way"), 50)
                            }
                            Button {
                                text: qsTr("Complete")
                                enabled: model.state === "acknowledged" || model.state === "in_progress"
                                onClicked: agencyTasks.taskAction(model.taskId, "complete", qsTr("done"))
                            }
                        }
                    }
                }
                Label {
                    anchors.centerIn: parent
                    visible: taskList.count === 0
                    text: qsTr("No open tasks")
                    color: "#90a4ae"
                }
            }
        }
        ColumnLayout {
            Layout.preferredWidth: 460
            Layout.alignment: Qt.AlignTop
            spacing: 8
            Label { text: qsTr("Raise an incident"); font.pixelSize: 17; font.bold: true }
            ComboBox {
                id: typeBox
                Layout.fillWidth: true
                model: [qsTr("flood"), qsTr("fire"), qsTr("public security"), qsTr("rental housing"), qsTr("other")]
            }
            TextField { id: titleField; objectName: "incidentTitleField"; Layout.fillWidth: true; placeholderText: qsTr("what happened") }
            TextField { id: descriptionField; objectName: "incidentDescriptionField"; Layout.fillWidth: true; placeholderText: qsTr("details") }
            RowLayout {
                Label { text: qsTr("level") }
                ComboBox { id: levelBox; model: ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"]; currentIndex: 3 }
                Label { text: qsTr("colour") }
                ComboBox { id: colourBox; model: [qsTr("red"), qsTr("orange"), qsTr("yellow"), qsTr("blue")]; currentIndex: 2 }
            }
            RowLayout {
                Label { text: qsTr("latitude") }
                TextField { id: latField; Layout.fillWidth: true; text: agency.latitude.toFixed(5) }
                Label { text: qsTr("longitude") }
                TextField { id: lonField; Layout.fillWidth: true; text: agency.longitude.toFixed(5) }
            }
            Button {
                objectName: "raiseButton"
                text: qsTr("Report the incident")
                enabled: titleField.text !== ""
                onClicked: agencyTasks.raiseIncident(["flood", "fire", "public_security", "rental_housing", "other"][typeBox.currentIndex],
                                                 titleField.text, descriptionField.text, levelBox.currentIndex + 1,
                                                 ["red", "orange", "yellow", "blue"][colourBox.currentIndex],
                                                 parseFloat(latField.text), parseFloat(lonField.text))
            }
        }
    }
}
