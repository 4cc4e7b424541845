// QtQuickTest of the Liandong.Map item as a user handles it in QML: a drag
// with the mouse pans (the centre moves against the drag), the wheel zooms
// about the cursor (the point under it stays put) and back, the zoom is
// clamped, a short click without movement does not pan, and the scale bar's
// label follows the zoom. Run by test_map_view_qml (QUICK_TEST_MAIN) under
// the offscreen platform with the software scene graph.
import QtQuick
import QtTest
import Liandong.Map

Item {
    id: root
    width: 800
    height: 600

    MapView {
        id: map
        anchors.fill: parent
        longitude: 113.36
        latitude: 22.94
        zoom: 10
    }

    TestCase {
        name: "MapView"
        when: windowShown

        function init() {
            map.centreOn(113.36, 22.94, 10)
        }

        function test_dragPansAgainstTheDrag() {
            var lon = map.longitude, lat = map.latitude
            mouseDrag(map, 400, 300, 200, 100)  // drag right and down
            verify(map.longitude < lon, "dragging right shows what is west: " + map.longitude)
            verify(map.latitude > lat, "dragging down shows what is north: " + map.latitude)
            compare(map.zoom, 10)
        }

        function test_clickWithoutMovingDoesNotPan() {
            mouseClick(map, 400, 300)
            fuzzyCompare(map.longitude, 113.36, 1e-9)
            fuzzyCompare(map.latitude, 22.94, 1e-9)
        }

        function test_wheelZoomsAboutTheCursorAndBack() {
            var before = map.scaleLabel
            mouseWheel(map, 600, 450, 0, 240)  // two notches in, at a point right of and below the centre
            fuzzyCompare(map.zoom, 11, 1e-9)
            verify(map.longitude > 113.36, "the centre moved toward the cursor: " + map.longitude)
            verify(map.latitude < 22.94, "the centre moved toward the cursor: " + map.latitude)
            verify(map.scaleLabel !== before, "the scale bar follows the zoom: " + before + " / " + map.scaleLabel)
            mouseWheel(map, 600, 450, 0, -240)  // and out again at the same point
            fuzzyCompare(map.zoom, 10, 1e-9)
            fuzzyCompare(map.longitude, 113.36, 1e-6)
            fuzzyCompare(map.latitude, 22.94, 1e-6)
            compare(map.scaleLabel, before)
        }

        function test_zoomIsClamped() {
            for (var i = 0; i < 40; ++i) mouseWheel(map, 400, 300, 0, 120)
            var most = map.zoom
            verify(most <= 20, "zoom stops at its maximum: " + most)
            mouseWheel(map, 400, 300, 0, 120)
            compare(map.zoom, most)
            for (i = 0; i < 80; ++i) mouseWheel(map, 400, 300, 0, -120)
            verify(map.zoom >= 1, "zoom stops at its minimum: " + map.zoom)
        }
    }
}
