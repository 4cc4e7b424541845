// Wall layouts: parsing "RxC[+S]" and the named layouts, tile rectangles.
#include "wall_layout.h"

#include <QRegularExpression>

#include <algorithm>

namespace liandong::console {

std::optional<WallLayout> WallLayout::parse(const QString &text, QString *error) {
  auto fail = [&](const QString &why) -> std::optional<WallLayout> {
    if (error) *error = QStringLiteral("wall layout \"%1\": %2").arg(text, why);
    return std::nullopt;
  };
  const QString t = text.trimmed();
  if (t == QLatin1String("1")) return WallLayout{1, 1, 1};
  if (t == QLatin1String("4")) return WallLayout{2, 2, 1};
  if (t == QLatin1String("9")) return WallLayout{3, 3, 1};
  if (t == QLatin1String("16")) return WallLayout{4, 4, 1};
  if (t == QLatin1String("1+5")) return WallLayout{3, 3, 2};
  static const QRegularExpression pattern(QStringLiteral("^(\\d{1,2})[xX×](\\d{1,2})(?:\\+(\\d{1,2}))?$"));
  auto m = pattern.match(t);
  if (!m.hasMatch()) return fail(QStringLiteral("expected 1, 4, 9, 16, 1+5, RxC or RxC+S (e.g. 3x4, 4x4+3)"));
  WallLayout l{m.captured(1).toInt(), m.captured(2).toInt(),
               m.captured(3).isEmpty() ? 1 : m.captured(3).toInt()};
  if (l.rows < 1 || l.rows > kMaxSide || l.columns < 1 || l.columns > kMaxSide)
    return fail(QStringLiteral("rows and columns must be 1..%1").arg(kMaxSide));
  if (!m.captured(3).isEmpty()) {
    const int side = std::min(l.rows, l.columns);
    if (l.span < 2 || l.span > side || (l.span == side && l.rows == l.columns))
      return fail(QStringLiteral("the main tile must span 2..%1 cells and leave room for others")
                      .arg(l.rows == l.columns ? side - 1 : side));
  }
  return l;
}

std::vector<std::pair<int, int>> WallLayout::freeCells() const {
  std::vector<std::pair<int, int>> cells;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < columns; ++c)
      if (span <= 1 || r >= span || c >= span) cells.emplace_back(c, r);
  return cells;
}

QRectF WallLayout::tileRect(int i) const {
  const double w = 1.0 / columns, h = 1.0 / rows;
  if (i < 0 || i >= tiles()) return {};
  if (span > 1) {
    if (i == 0) return {0, 0, span * w, span * h};
    auto [c, r] = freeCells()[static_cast<std::size_t>(i - 1)];
    return {c * w, r * h, w, h};
  }
  return {(i % columns) * w, (i / columns) * h, w, h};
}

}  // namespace liandong::console
