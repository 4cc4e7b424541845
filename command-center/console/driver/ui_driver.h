// UiDriver: drives a console window from outside, as a user would — finds
// items by objectName in the window's item tree, scrolls them into view,
// clicks them with real mouse events, types into fields with real key and
// input-method events, reads their properties and grabs the window. Used by
// the UI scripts of liandong-console-qt-driver (ui_scripts.cpp); nothing of
// it is in the product.
#pragma once

#include <QQuickItem>
#include <QQuickWindow>
#include <QString>
#include <QVariant>

#include <string>
#include <vector>

namespace liandong::console::driver {

class UiDriver {
public:
  explicit UiDriver(QQuickWindow *window) : window_(window) {}

  QQuickWindow *window() const { return window_; }
  // The first item named `name` in the window's visual tree (delegates of
  // repeaters and list views included), or null.
  QQuickItem *find(const QString &name) const;
  // Every item whose objectName starts with `prefix`, in tree order.
  std::vector<QQuickItem *> findAll(const QString &prefix) const;
  // A press and release at the item's centre, after scrolling it into view:
  // the click goes through Qt Quick's hit testing, so a control that is
  // hidden, disabled or covered is not pressed. False if it is not there,
  // not visible or not enabled.
  bool click(const QString &name);
  bool click(QQuickItem *item);
  // Clicks the field, selects what it holds (ctrl+A) and types `text` as an
  // input method commits it (how Chinese text arrives). False if no field.
  bool type(const QString &name, const QString &text);
  // A property of an item (invalid if no such item).
  QVariant property(const QString &name, const char *property) const;
  // Calls a function of a QML item (its own API, e.g. VideoTile.frames()).
  static QVariant call(QObject *item, const char *function, const QVariant &arg = {});
  // The item's place in the window: "x,y,w,h".
  static QString geometry(const QQuickItem *item);
  // Writes the window as a PNG; logs where (or why not).
  static bool grab(QQuickWindow *window, const std::string &path);

private:
  static bool ensureVisible(QQuickItem *item);
  bool centreInWindow(QQuickItem *item, QPointF &at) const;

  QQuickWindow *window_;
};

}  // namespace liandong::console::driver
