//! Values found by a string key and held by slot number: how the console's board and
//! the nudge scheduler each keep 100,000 tickets. Orders and queues hold 4-byte slot
//! numbers, and each slot's generation tells a queued number from one whose value has
//! changed or left since. The index holds slot numbers and hashes, and reads the key
//! from the value: a key stored once, not again in the map (at 100,000 tickets a
//! second copy and a `String` per bucket cost several MB). With the hash at hand,
//! growing the index reads no key, and a probe reads only the key it will match.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// A value that knows its key.
pub trait Keyed {
    fn key(&self) -> &str;
}

pub struct Slots<T> {
    values: Vec<Option<T>>,
    gens: Vec<u32>,
    free: Vec<u32>,
    index: HashTable<Bucket>,
    hasher: DefaultHashBuilder,
}

#[derive(Clone, Copy)]
struct Bucket {
    slot: u32,
    /// Half the key's hash: plenty to tell 100,000 keys apart; [`spread`] makes the
    /// table's hash of it.
    hash: u32,
}

/// The table's 64-bit hash of a 32-bit one, its high bits depending on every bit.
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            values: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl<T: Keyed> Slots<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn clear(&mut self) {
        self.values.clear();
        self.gens.clear();
        self.free.clear();
        self.index.clear();
    }

    pub fn reserve(&mut self, additional: usize) {
        self.values.reserve(additional);
        self.gens.reserve(additional);
        self.index.reserve(additional, |b| spread(b.hash));
    }

    pub fn find(&self, key: &str) -> Option<u32> {
        let (values, h) = (&self.values, self.hash(key));
        self.index
            .find(spread(h), |b| b.hash == h && key_of(values, b.slot) == key)
            .map(|b| b.slot)
    }

    fn hash(&self, key: &str) -> u32 {
        (self.hasher.hash_one(key) >> 32) as u32
    }

    pub fn get(&self, i: u32) -> Option<&T> {
        self.values.get(i as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.values.get_mut(i as usize).and_then(Option::as_mut)
    }

    /// The slot's generation: changed by [`Slots::bump`] and whenever the slot is
    /// emptied or filled.
    pub fn gen(&self, i: u32) -> u32 {
        self.gens.get(i as usize).copied().unwrap_or(0)
    }

    /// Whether slot `i` holds a value and is still at generation `gen`.
    pub fn is_current(&self, i: u32, gen: u32) -> bool {
        self.get(i).is_some() && self.gen(i) == gen
    }

    /// Starts a new generation of slot `i` (its value changed) and returns it.
    pub fn bump(&mut self, i: u32) -> u32 {
        let g = &mut self.gens[i as usize];
        *g = g.wrapping_add(1);
        *g
    }

    /// Adds a value under a key not present yet and returns its slot; gives the value
    /// back when the key is taken.
    pub fn insert(&mut self, value: T) -> Result<u32, T> {
        let (values, h) = (&self.values, self.hash(value.key()));
        let hashbrown::hash_table::Entry::Vacant(vacant) = self.index.entry(
            spread(h),
            |b| b.hash == h && key_of(values, b.slot) == value.key(),
            |b| spread(b.hash),
        ) else {
            return Err(value);
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.values[i as usize] = Some(value);
                i
            }
            None => {
                self.values.push(Some(value));
                self.gens.push(0);
                (self.values.len() - 1) as u32
            }
        };
        vacant.insert(Bucket { slot: i, hash: h });
        self.bump(i);
        Ok(i)
    }

    /// Puts `value`, which has the same key, in slot `i` instead of what was there.
    pub fn replace(&mut self, i: u32, value: T) -> T {
        let slot = self.values[i as usize].as_mut().expect("a live slot");
        assert_eq!(slot.key(), value.key(), "a replacement keeps its key");
        std::mem::replace(slot, value)
    }

    /// Empties slot `i` for reuse.
    pub fn remove(&mut self, i: u32) -> Option<T> {
        let h = self.hash(self.get(i)?.key());
        if let Ok(entry) = self.index.find_entry(spread(h), |b| b.slot == i) {
            entry.remove();
        }
        let value = self.values[i as usize].take();
        self.bump(i);
        self.free.push(i);
        value
    }

    /// One past the highest slot number in use (slot numbers index a `Vec` that long).
    pub fn bound(&self) -> usize {
        self.values.len()
    }

    /// Every filled slot, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (i as u32, v)))
    }
}

fn key_of<T: Keyed>(values: &[Option<T>], i: u32) -> &str {
    values[i as usize].as_ref().map_or("", Keyed::key)
}

/// The key to keep beside a value whose own text for it (`shown`) may differ from
/// the key it is filed under: nothing when they are the same, nearly always.
pub fn distinct_key(key: &str, shown: &str) -> Option<Box<str>> {
    (key != shown).then(|| key.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct V(&'static str, u32);

    impl Keyed for V {
        fn key(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn finds_replaces_removes_and_reuses_slots() {
        let mut s = Slots::new();
        let a = s.insert(V("a", 1)).unwrap();
        let b = s.insert(V("b", 2)).unwrap();
        assert_eq!(s.insert(V("a", 9)), Err(V("a", 9)), "a key is held once");
        assert_eq!(
            (s.find("a"), s.find("b"), s.find("c")),
            (Some(a), Some(b), None)
        );
        assert_eq!(s.len(), 2);

        let g = s.gen(a);
        assert_eq!(s.replace(a, V("a", 3)), V("a", 1));
        assert_eq!(s.get(a), Some(&V("a", 3)));
        assert_eq!(s.gen(a), g, "replacing keeps the generation; callers bump");
        assert_eq!(s.bump(a), g.wrapping_add(1));
        assert!(s.is_current(a, g.wrapping_add(1)) && !s.is_current(a, g));

        let gb = s.gen(b);
        assert_eq!(s.remove(b), Some(V("b", 2)));
        assert_eq!((s.find("b"), s.get(b), s.len()), (None, None, 1));
        assert!(!s.is_current(b, gb) && !s.is_current(b, s.gen(b)));
        assert_eq!(s.remove(b), None);

        let c = s.insert(V("c", 4)).unwrap();
        assert_eq!(c, b, "the emptied slot is reused");
        assert!(!s.is_current(c, gb), "under a generation of its own");
        assert_eq!(s.find("c"), Some(c));
        let all: Vec<_> = s.iter().map(|(i, v)| (i, v.1)).collect();
        assert_eq!(all, vec![(a, 3), (c, 4)]);

        s.clear();
        assert_eq!((s.len(), s.find("a")), (0, None));
    }

    #[test]
    fn many_keys_survive_growth_and_removal() {
        let keys: Vec<&'static str> = (0..5000)
            .map(|n| &*Box::leak(format!("T-{n}").into_boxed_str()))
            .collect();
        let mut s = Slots::new();
        s.reserve(10);
        for (n, k) in keys.iter().enumerate() {
            s.insert(V(k, n as u32)).unwrap();
        }
        for k in keys.iter().step_by(2) {
            let i = s.find(k).unwrap();
            s.remove(i).unwrap();
        }
        for (n, k) in keys.iter().enumerate() {
            let found = s.find(k).and_then(|i| s.get(i)).map(|v| v.1);
            assert_eq!(found, (n % 2 == 1).then_some(n as u32), "{k}");
        }
        assert_eq!(s.len(), 2500);
    }

    #[test]
    fn distinct_key_only_when_it_differs() {
        assert_eq!(distinct_key("T-1", "T-1"), None);
        assert_eq!(
            distinct_key("T-\u{1b}1", "T-?1").as_deref(),
            Some("T-\u{1b}1")
        );
    }
}
