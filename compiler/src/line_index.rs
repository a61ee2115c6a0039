//! Byte offsets to lines and columns. Offsets are bytes everywhere inside npg;
//! this is the one place that turns them into 1-based lines, character columns
//! (terminals, SARIF) and UTF-16 columns (LSP).

/// Line starts of one text, for converting offsets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LineIndex {
    /// Byte offset at which each line starts; the first is always 0.
    line_starts: Vec<u32>,
}

/// A 0-based line and a 0-based column, counted in the unit the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, byte)| byte == b'\n')
                .map(|(offset, _)| u32::try_from(offset + 1).unwrap_or(u32::MAX)),
        );
        LineIndex { line_starts }
    }

    /// The 0-based line holding `offset`.
    pub fn line(&self, offset: u32) -> u32 {
        let line = self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1);
        u32::try_from(line).unwrap_or(u32::MAX)
    }

    /// The 1-based line number holding `offset`, as people count lines.
    pub fn line_number(&self, offset: u32) -> u32 {
        self.line(offset).saturating_add(1)
    }

    fn line_start(&self, line: u32) -> u32 {
        self.line_starts.get(line as usize).copied().unwrap_or(0)
    }

    /// Line and column of `offset`, the column counted in Unicode scalar values.
    pub fn line_column_chars(&self, text: &str, offset: u32) -> LineColumn {
        self.line_column_with(text, offset, |prefix| prefix.chars().count())
    }

    /// Line and column of `offset`, the column counted in UTF-16 code units (LSP).
    pub fn line_column_utf16(&self, text: &str, offset: u32) -> LineColumn {
        self.line_column_with(text, offset, |prefix| prefix.encode_utf16().count())
    }

    fn line_column_with(&self, text: &str, offset: u32, count: impl Fn(&str) -> usize) -> LineColumn {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line(offset);
        let start = self.line_start(line);
        let prefix = text.get(start as usize..offset as usize).unwrap_or("");
        LineColumn { line, column: u32::try_from(count(prefix)).unwrap_or(u32::MAX) }
    }

    /// The byte offset of a 0-based line and UTF-16 column (LSP positions),
    /// clamped to the text.
    pub fn offset_utf16(&self, text: &str, position: LineColumn) -> u32 {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return u32::try_from(text.len()).unwrap_or(u32::MAX);
        };
        let line_text = text.get(start as usize..).unwrap_or("");
        let mut units = 0u32;
        for (byte, character) in line_text.char_indices() {
            if units >= position.column || character == '\n' {
                return start + u32::try_from(byte).unwrap_or(0);
            }
            units += u32::try_from(character.len_utf16()).unwrap_or(1);
        }
        u32::try_from(text.len()).unwrap_or(u32::MAX)
    }
}

fn clamp_to_char_boundary(text: &str, offset: u32) -> u32 {
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    u32::try_from(offset).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters_not_bytes() {
        let text = "ab\nñé x\n\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.line_number(0), 1);
        assert_eq!(index.line_number(3), 2);
        let x = text.find('x').unwrap_or(0) as u32;
        assert_eq!(index.line_column_chars(text, x), LineColumn { line: 1, column: 3 });
        assert_eq!(index.line_column_utf16(text, x), LineColumn { line: 1, column: 3 });
        assert_eq!(index.line_number(text.len() as u32), 4);
    }

    #[test]
    fn utf16_columns_round_trip_through_offsets() {
        let text = "a😀b\nc";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap_or(0) as u32;
        let position = index.line_column_utf16(text, b);
        assert_eq!(position, LineColumn { line: 0, column: 3 });
        assert_eq!(index.offset_utf16(text, position), b);
        assert_eq!(index.offset_utf16(text, LineColumn { line: 9, column: 0 }), text.len() as u32);
    }
}
