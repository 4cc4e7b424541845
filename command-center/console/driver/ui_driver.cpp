// UiDriver: finding, scrolling to, clicking and typing into the console's
// items with real events (see ui_driver.h).
#include "ui_driver.h"

#include <QCoreApplication>
#include <QImage>
#include <QInputMethodEvent>
#include <QKeyEvent>
#include <QMouseEvent>

#include <algorithm>
#include <functional>

#include "liandong/core/logging.h"

namespace liandong::console::driver {
namespace {

void walk(QQuickItem *item, const std::function<bool(QQuickItem *)> &visit) {
  if (!item || !visit(item)) return;
  for (auto *child : item->childItems()) walk(child, visit);
}

// Monotonic event times, as a real mouse gives them.
ulong eventTime() {
  static ulong t = 1000;
  return t += 50;
}

}  // namespace

QQuickItem *UiDriver::find(const QString &name) const {
  QQuickItem *found = nullptr;
  walk(window_->contentItem(), [&](QQuickItem *item) {
    if (found) return false;
    if (item->objectName() == name) found = item;
    return !found;
  });
  return found;
}

std::vector<QQuickItem *> UiDriver::findAll(const QString &prefix) const {
  std::vector<QQuickItem *> out;
  walk(window_->contentItem(), [&](QQuickItem *item) {
    if (item->objectName().startsWith(prefix)) out.push_back(item);
    return true;
  });
  return out;
}

// Inside a ScrollView or a ListView the item may be scrolled away: moves the
// enclosing flickables so that its centre is on screen, as a user scrolls.
bool UiDriver::ensureVisible(QQuickItem *item) {
  for (auto *p = item->parentItem(); p; p = p->parentItem()) {
    if (!p->inherits("QQuickFlickable")) continue;
    auto *content = p->property("contentItem").value<QQuickItem *>();
    if (!content) continue;
    const QRectF r = item->mapRectToItem(content, QRectF(0, 0, item->width(), item->height()));
    const double top = p->property("contentY").toDouble(), height = p->height();
    if (r.top() >= top && r.bottom() <= top + height) continue;
    const double maxY = std::max(0.0, p->property("contentHeight").toDouble() - height);
    p->setProperty("contentY", std::clamp(r.center().y() - height / 2, 0.0, maxY));
  }
  return true;
}

bool UiDriver::centreInWindow(QQuickItem *item, QPointF &at) const {
  if (!item || !item->isVisible() || !item->isEnabled() || item->window() != window_) return false;
  ensureVisible(item);
  at = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
  return QRectF(QPointF(0, 0), QSizeF(window_->size())).contains(at);
}

bool UiDriver::click(const QString &name) {
  return click(find(name));
}

bool UiDriver::click(QQuickItem *item) {
  QPointF at;
  if (!centreInWindow(item, at)) return false;
  const QPointF global = window_->mapToGlobal(at);
  for (auto type : {QEvent::MouseButtonPress, QEvent::MouseButtonRelease}) {
    QMouseEvent event(type, at, at, global, Qt::LeftButton,
                      type == QEvent::MouseButtonPress ? Qt::LeftButton : Qt::NoButton, Qt::NoModifier);
    event.setTimestamp(eventTime());
    QCoreApplication::sendEvent(window_, &event);
  }
  return true;
}

bool UiDriver::type(const QString &name, const QString &text) {
  auto *field = find(name);
  if (!click(field)) return false;
  if (!field->hasActiveFocus()) field->forceActiveFocus(Qt::MouseFocusReason);
  QKeyEvent selectAll(QEvent::KeyPress, Qt::Key_A, Qt::ControlModifier);
  QCoreApplication::sendEvent(field, &selectAll);
  QInputMethodEvent commit;
  commit.setCommitString(text);
  QCoreApplication::sendEvent(field, &commit);
  return field->property("text").toString() == text;
}

QVariant UiDriver::property(const QString &name, const char *property) const {
  auto *item = find(name);
  return item ? item->property(property) : QVariant();
}

QVariant UiDriver::call(QObject *item, const char *function, const QVariant &arg) {
  if (!item) return {};
  QVariant out;
  bool ok = arg.isValid()
                ? QMetaObject::invokeMethod(item, function, Q_RETURN_ARG(QVariant, out), Q_ARG(QVariant, arg))
                : QMetaObject::invokeMethod(item, function, Q_RETURN_ARG(QVariant, out));
  return ok ? out : QVariant();
}

QString UiDriver::geometry(const QQuickItem *item) {
  if (!item) return {};
  const QPointF p = item->mapToScene(QPointF(0, 0));
  return QStringLiteral("%1,%2,%3,%4")
      .arg(qRound(p.x()))
      .arg(qRound(p.y()))
      .arg(qRound(item->width()))
      .arg(qRound(item->height()));
}

bool UiDriver::grab(QQuickWindow *window, const std::string &path) {
  auto log = logging::get("console");
  QImage image = window ? window->grabWindow() : QImage();
  if (image.isNull() || !image.save(QString::fromStdString(path), "PNG")) {
    log->error("could not write the screenshot {}", path);
    return false;
  }
  log->info("screenshot {} ({}x{})", path, image.width(), image.height());
  return true;
}

}  // namespace liandong::console::driver
