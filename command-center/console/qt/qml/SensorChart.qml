// A sensor's chart over the map (Qt Charts): a water level against its
// station's 警戒 (warning, yellow) and 保证 (guaranteed, red) lines, or the
// rainfall per interval with its 1 h / 3 h / 24 h accumulations. Opened by a
// click on a sensor; backend.loadSeries() fills it.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtCharts

Rectangle {
    id: chart
    property string sensorId: ""
    property var series: ({})
    property int hours: 24
    readonly property bool rain: (series.quantity || "").indexOf("rainfall") === 0
    visible: sensorId !== ""
    color: "white"
    border.color: "#90a4ae"
    radius: 4

    function open(id) {
        sensorId = "" + id
        series = ({})
        backend.loadSeries(sensorId, hours)
        backend.log("chart: sensor " + sensorId)
    }
    function pointCount() { return values.count }

    Connections {
        target: backend
        function onSeriesLoaded(s) {
            if (s.sensorId !== chart.sensorId) return
            chart.series = s
            values.clear()
            warning.clear()
            guaranteed.clear()
            var pts = s.points || []
            var t0 = pts.length ? pts[0].t : Date.now() - chart.hours * 3600000
            var t1 = pts.length ? pts[pts.length - 1].t : Date.now()
            for (var i = 0; i < pts.length; ++i) values.append(pts[i].t, pts[i].v)
            if (!isNaN(s.warningLevel)) { warning.append(t0, s.warningLevel); warning.append(t1, s.warningLevel) }
            if (!isNaN(s.guaranteedLevel)) { guaranteed.append(t0, s.guaranteedLevel); guaranteed.append(t1, s.guaranteedLevel) }
            xAxis.min = new Date(t0)
            xAxis.max = new Date(Math.max(t1, t0 + 60000))
            var span = Math.max(s.max - s.min, 0.1)
            yAxis.min = s.min - span * 0.1
            yAxis.max = s.max + span * 0.1
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 8
        RowLayout {
            Layout.fillWidth: true
            Label {
                Layout.fillWidth: true
                text: (chart.series.name || chart.sensorId) + (chart.series.unit ? " (" + chart.series.unit + ")" : "")
                font.bold: true
                elide: Text.ElideRight
            }
            ComboBox {
                model: [6, 24, 72]
                currentIndex: 1
                displayText: qsTr("%1 h").arg(currentValue)
                onActivated: { chart.hours = currentValue; chart.open(chart.sensorId) }
            }
            Button { text: "✕"; onClicked: chart.sensorId = "" }
        }
        Label {
            visible: chart.rain
            text: qsTr("Rainfall: 1 h %1 mm · 3 h %2 mm · 24 h %3 mm")
                  .arg((chart.series.rain1h || 0).toFixed(1)).arg((chart.series.rain3h || 0).toFixed(1))
                  .arg((chart.series.rain24h || 0).toFixed(1))
        }
        Label {
            visible: !chart.rain && chart.series.points !== undefined
            text: qsTr("Warning level (警戒) %1 · guaranteed level (保证) %2")
                  .arg(isNaN(chart.series.warningLevel) ? "—" : chart.series.warningLevel)
                  .arg(isNaN(chart.series.guaranteedLevel) ? "—" : chart.series.guaranteedLevel)
        }
        ChartView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            antialiasing: true
            legend.visible: true
            legend.alignment: Qt.AlignBottom
            margins { top: 4; bottom: 4; left: 4; right: 4 }
            DateTimeAxis { id: xAxis; format: "MM-dd hh:mm"; tickCount: 5 }
            ValueAxis { id: yAxis }
            LineSeries {
                id: values
                name: chart.rain ? qsTr("rainfall") : qsTr("reading")
                axisX: xAxis
                axisY: yAxis
                color: "#00897b"
                width: 2
            }
            LineSeries {
                id: warning
                name: qsTr("warning level (警戒)")
                axisX: xAxis
                axisY: yAxis
                color: "#f9a825"
                style: Qt.DashLine
                width: 2
            }
            LineSeries {
                id: guaranteed
                name: qsTr("guaranteed level (保证)")
                axisX: xAxis
                axisY: yAxis
                color: "#e51c23"
                style: Qt.DashLine
                width: 2
            }
        }
    }
}
