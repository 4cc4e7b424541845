// Video wall layouts: the named ones (1, 4, 9, 16, 1+5) and custom ones a
// leader composes — "RxC" (rows × columns of equal tiles) or "RxC+S" (the
// same grid with a main tile spanning S × S cells at the top left). Parsed
// here once for the wall (tile rectangles) and for the presets file (a
// preset with a layout that does not parse is skipped with one line).
#pragma once

#include <QRectF>
#include <QString>

#include <optional>
#include <vector>

namespace liandong::console {

struct WallLayout {
  int rows = 1, columns = 1;
  int span = 1;  // the main tile covers span × span cells (1: no main tile)
  // How many tiles the layout shows: rows × columns, less the cells under the main tile but one.
  int tiles() const { return rows * columns - span * span + 1; }
  // Tile i's rectangle in a unit square (x, y, width, height in 0..1): tile 0
  // is the main one; the others fill the free cells row by row.
  QRectF tileRect(int i) const;

  static constexpr int kMaxSide = 8;
  // "1", "4", "9", "16", "1+5", "RxC" or "RxC+S" with 1 ≤ R, C ≤ 8 and
  // 2 ≤ S < min(R, C) or S = min(R, C) when R ≠ C. On failure `error` (if
  // given) gets one line naming the cause.
  static std::optional<WallLayout> parse(const QString &text, QString *error = nullptr);

private:
  std::vector<std::pair<int, int>> freeCells() const;  // (column, row) not under the main tile
};

}  // namespace liandong::console
