//! The vocabulary: which characters the model knows, and their indices.
//!
//! F0 of the book: a character becomes the index of its one-hot vector.

use crate::error::Error;

/// The sorted table of the distinct characters of a text, at most `V` of them.
///
/// Index `i` stands for the one-hot vector with a 1 in place `i`. Sorting makes
/// the table the same on every run (Python's `set`, used by the original
/// min-char-rnn, is not ordered). A text with fewer than `V` distinct characters
/// is fine: the model keeps `V` outputs, the unused ones are never targets, and
/// sampling only ever picks one of the first [`Vocab::len`] symbols.
///
/// The unit is the Unicode `char`, not the byte: "árvíztűrő tükörfúrógép" is 22
/// characters (31 UTF-8 bytes) of 18 distinct symbols.
///
/// ```
/// use min_char_rnn::Vocab;
/// let vocab = Vocab::<8>::from_text("hello")?;
/// assert_eq!(vocab.symbols(), &['e', 'h', 'l', 'o']);
/// assert_eq!(vocab.encode('l')?, 2);
/// assert_eq!(vocab.decode(3)?, 'o');
/// # Ok::<(), min_char_rnn::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab<const V: usize> {
    chars: [char; V],
    len: usize,
}

impl<const V: usize> Vocab<V> {
    /// The distinct characters of `text`, sorted.
    ///
    /// Errors: [`Error::EmptyText`]; [`Error::TooManySymbols`] as soon as a
    /// (`V`+1)-th distinct character appears, without reading the rest of the
    /// text (a program with an allocator can count them all to choose `V`).
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_chars(text.chars())
    }

    /// A vocabulary of exactly these characters (duplicates and order do not
    /// matter). For embedded use where the symbol set is fixed in advance.
    ///
    /// Errors: as [`Vocab::from_text`].
    pub fn from_symbols(symbols: &[char]) -> Result<Self, Error> {
        Self::from_chars(symbols.iter().copied())
    }

    fn from_chars(chars: impl Iterator<Item = char>) -> Result<Self, Error> {
        const { assert!(V > 0, "a vocabulary needs a capacity V of at least 1") };
        let mut vocab = Vocab {
            chars: ['\0'; V],
            len: 0,
        };
        for c in chars {
            let Err(at) = vocab.chars[..vocab.len].binary_search(&c) else {
                continue; // already present
            };
            // The (V+1)-th distinct character: refuse at once, whatever follows
            // (one pass, O(n log V) plus O(V) per new symbol).
            if vocab.len == V {
                return Err(Error::TooManySymbols { capacity: V });
            }
            vocab.chars.copy_within(at..vocab.len, at + 1);
            vocab.chars[at] = c;
            vocab.len += 1;
        }
        if vocab.len == 0 {
            return Err(Error::EmptyText);
        }
        Ok(vocab)
    }

    fn index_of(&self, c: char) -> Option<usize> {
        self.chars[..self.len].binary_search(&c).ok()
    }

    /// The number of symbols, between 1 and `V`.
    #[allow(clippy::len_without_is_empty)] // a vocabulary is never empty
    pub fn len(&self) -> usize {
        self.len
    }

    /// The symbols in index order.
    pub fn symbols(&self) -> &[char] {
        &self.chars[..self.len]
    }

    // ANCHOR: F0_onehot
    /// The index of `c`: where its one-hot vector x has its 1.
    ///
    /// A binary search of the sorted table, O(log V). Errors with
    /// [`Error::UnknownChar`] (position 0; see [`Vocab::encode_at`]).
    pub fn encode(&self, c: char) -> Result<usize, Error> {
        self.encode_at(c, 0)
    }

    /// As [`Vocab::encode`], reporting `position` in the error.
    pub fn encode_at(&self, c: char, position: usize) -> Result<usize, Error> {
        self.index_of(c)
            .ok_or(Error::UnknownChar { ch: c, position })
    }
    // ANCHOR_END: F0_onehot

    /// The character of index `i`. Errors with [`Error::IndexOutOfRange`].
    pub fn decode(&self, i: usize) -> Result<char, Error> {
        self.symbols()
            .get(i)
            .copied()
            .ok_or(Error::IndexOutOfRange {
                index: i,
                vocab_size: self.len,
            })
    }

    /// Checks that every character of `text` is in the vocabulary and returns how
    /// many characters it has. Errors: [`Error::EmptyText`], [`Error::UnknownChar`]
    /// naming the first stranger and its position.
    pub fn check_text(&self, text: &str) -> Result<usize, Error> {
        let mut n = 0;
        for (position, c) in text.chars().enumerate() {
            self.encode_at(c, position)?;
            n += 1;
        }
        if n == 0 { Err(Error::EmptyText) } else { Ok(n) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_sorted_and_distinct() {
        let v = Vocab::<16>::from_text("hello world").unwrap();
        assert_eq!(v.symbols(), &[' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    }

    #[test]
    fn unicode_chars_are_symbols() {
        let v = Vocab::<32>::from_text("árvíztűrő tükörfúrógép").unwrap();
        assert_eq!(v.len(), 18); // 22 chars, 18 distinct; 31 UTF-8 bytes
        assert_eq!(v.decode(v.encode('ű').unwrap()).unwrap(), 'ű');
    }

    #[test]
    fn too_many_symbols_names_the_capacity() {
        let text = "the quick brown fox jumps over the lazy dog";
        for cap in [1, 2, 5, 13, 26] {
            let err = match cap {
                1 => Vocab::<1>::from_text(text).unwrap_err(),
                2 => Vocab::<2>::from_text(text).unwrap_err(),
                5 => Vocab::<5>::from_text(text).unwrap_err(),
                13 => Vocab::<13>::from_text(text).unwrap_err(),
                _ => Vocab::<26>::from_text(text).unwrap_err(),
            };
            assert_eq!(err, Error::TooManySymbols { capacity: cap });
        }
        assert_eq!(Vocab::<27>::from_text(text).unwrap().len(), 27);
    }

    /// The refusal comes at the (V+1)-th distinct character: what follows it is
    /// never read (here an iterator that would panic if it were).
    #[test]
    fn refuses_without_reading_further() {
        let chars = "abc".chars().chain(core::iter::from_fn(|| -> Option<char> {
            panic!("read past the third distinct character")
        }));
        assert_eq!(
            Vocab::<2>::from_chars(chars).unwrap_err(),
            Error::TooManySymbols { capacity: 2 }
        );
    }

    #[test]
    fn from_symbols_matches_from_text() {
        let a = Vocab::<4>::from_symbols(&['o', 'l', 'h', 'e']).unwrap();
        assert_eq!(a, Vocab::<4>::from_text("hello").unwrap());
        assert_eq!(
            Vocab::<2>::from_symbols(&['a', 'b', 'c', 'b', 'd']).unwrap_err(),
            Error::TooManySymbols { capacity: 2 }
        );
    }

    #[test]
    fn check_text_names_the_first_stranger() {
        let v = Vocab::<4>::from_text("hello").unwrap();
        assert_eq!(v.check_text("hell"), Ok(4));
        assert_eq!(
            v.check_text("he said"),
            Err(Error::UnknownChar {
                ch: ' ',
                position: 2
            })
        );
        assert_eq!(v.check_text(""), Err(Error::EmptyText));
        assert_eq!(
            v.decode(4),
            Err(Error::IndexOutOfRange {
                index: 4,
                vocab_size: 4
            })
        );
    }
}
