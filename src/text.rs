//! A training text checked against its vocabulary once, then read window by window.

use crate::error::Error;
use crate::vocab::Vocab;

/// A UTF-8 text whose every character is in `vocab`, with its length in
/// characters. Checking once up front lets each training step read its window
/// without re-scanning, and guarantees encoding never fails mid-training.
///
/// ```
/// use min_char_rnn::{Text, Vocab};
/// let vocab = Vocab::<4>::from_text("hello")?;
/// let text = Text::new(&vocab, "hello")?;
/// assert_eq!(text.len(), 5);
/// assert!(Text::new(&vocab, "help").is_err()); // 'p' is not in the vocabulary
/// # Ok::<(), min_char_rnn::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Text<'a, const V: usize> {
    text: &'a str,
    vocab: &'a Vocab<V>,
    chars: usize,
}

impl<'a, const V: usize> Text<'a, V> {
    /// Checks `text` against `vocab`.
    ///
    /// Errors: [`Error::EmptyText`]; [`Error::UnknownChar`] for the first character
    /// outside the vocabulary, with its position.
    pub fn new(vocab: &'a Vocab<V>, text: &'a str) -> Result<Self, Error> {
        let chars = vocab.check_text(text)?;
        Ok(Text { text, vocab, chars })
    }

    /// The number of characters (not bytes).
    #[allow(clippy::len_without_is_empty)] // a Text is never empty
    pub fn len(&self) -> usize {
        self.chars
    }

    /// The vocabulary the text was checked against.
    pub fn vocab(&self) -> &'a Vocab<V> {
        self.vocab
    }

    /// The text itself.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The characters `chars.start .. chars.end` (counted in characters,
    /// not bytes) as a text of their own, or `None` if the range is empty or
    /// reaches past the end. Walks the text up to `chars.end` once.
    ///
    /// ```
    /// use min_char_rnn::{Text, Vocab};
    /// let vocab = Vocab::<8>::from_text("abcdéfg")?;
    /// let text = Text::new(&vocab, "abcdéfg")?;
    /// assert_eq!(text.slice(3..6).map(|t| t.as_str()), Some("déf"));
    /// assert!(text.slice(5..8).is_none());
    /// # Ok::<(), min_char_rnn::Error>(())
    /// ```
    pub fn slice(&self, chars: core::ops::Range<usize>) -> Option<Self> {
        if chars.start >= chars.end || chars.end > self.chars {
            return None;
        }
        let mut starts = self.text.char_indices().map(|(i, _)| i);
        let start = starts.nth(chars.start)?;
        let end = starts
            .nth(chars.end - chars.start - 1)
            .unwrap_or(self.text.len());
        Some(Text {
            text: &self.text[start..end],
            vocab: self.vocab,
            chars: chars.end - chars.start,
        })
    }

    /// Reads the `T + 1` characters from byte offset `byte`: `xs` gets the first
    /// `T` indices, `targets` the `T` indices one character later. Returns the byte
    /// offset `T` characters on (the next window's start), or `None` if `byte` is
    /// not a character boundary or fewer than `T + 1` characters remain.
    pub fn window<const T: usize>(
        &self,
        byte: usize,
        xs: &mut [usize; T],
        targets: &mut [usize; T],
    ) -> Option<usize> {
        let mut chars = self.text.get(byte..)?.char_indices();
        let mut next = byte;
        let mut prev = self.vocab.encode(chars.next()?.1).ok()?;
        for t in 0..T {
            let (offset, c) = chars.next()?;
            let ix = self.vocab.encode(c).ok()?;
            xs[t] = prev;
            targets[t] = ix;
            prev = ix;
            next = byte + offset;
        }
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_count_characters_not_bytes() {
        let source = "aébécédéeéfégé"; // 14 characters, 21 bytes
        let vocab = Vocab::<8>::from_text(source).unwrap();
        let text = Text::new(&vocab, source).unwrap();
        let parts = [0, 1, 2].map(|k| text.slice(4 * k..4 * k + 4).unwrap().as_str());
        assert_eq!(parts, ["aébé", "cédé", "eéfé"]);
        assert_eq!(text.slice(12..14).unwrap().as_str(), "gé");
        assert_eq!(text.slice(0..14).unwrap().as_str(), source);
        assert_eq!(text.slice(3..7).unwrap().len(), 4);
        assert!(text.slice(3..3).is_none() && text.slice(10..15).is_none());
    }

    #[test]
    fn windows_shift_by_one_and_advance_by_t_chars() {
        let vocab = Vocab::<8>::from_text("aéb").unwrap(); // a=0 b=1 é=2
        let text = Text::new(&vocab, "aébaéb").unwrap();
        let (mut xs, mut ys) = ([0; 2], [0; 2]);
        let next = text.window(0, &mut xs, &mut ys).unwrap();
        assert_eq!((xs, ys), ([0, 2], [2, 1]));
        assert_eq!(next, 3); // 'a' is 1 byte, 'é' 2
        text.window(next, &mut xs, &mut ys).unwrap();
        assert_eq!((xs, ys), ([1, 0], [0, 2]));
        assert_eq!(text.window(2, &mut xs, &mut ys), None); // inside 'é'
        assert_eq!(text.window(5, &mut xs, &mut ys), None); // "éb": too few left
    }
}
