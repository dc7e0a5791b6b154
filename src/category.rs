//! Root-cause categories: the typed id every event gets, and the set of categories a
//! classifier knows with their report ranks.

use std::borrow::{Borrow, Cow};
use std::fmt;

/// A root-cause category id: snake_case, stable across releases for the built-in ones, open
/// for the ones a rules file adds.
///
/// ```
/// use logtriage::Category;
/// assert_eq!(Category::UNDEFINED_SYMBOL, "undefined_symbol");
/// assert_eq!(Category::new("cuda_oom").unwrap().as_str(), "cuda_oom");
/// assert!(Category::new("Not Snake").is_none());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(Cow<'static, str>);

impl Category {
    /// `NameError`, `cannot import name`, `module has no attribute`, a native undefined symbol.
    pub const UNDEFINED_SYMBOL: Category = Category::builtin("undefined_symbol");
    /// `ModuleNotFoundError`, `No module named`, a shared library that cannot be opened.
    pub const MISSING_MODULE: Category = Category::builtin("missing_module");
    /// A peer that refused the connection, from any client.
    pub const CONNECTION_REFUSED: Category = Category::builtin("connection_refused");
    /// A slow-query line or a statement timeout.
    pub const SLOW_QUERY: Category = Category::builtin("slow_query");
    /// A timeout that is not a statement timeout.
    pub const TIMEOUT: Category = Category::builtin("timeout");
    /// `MemoryError`, a platform's memory limit, an OOM kill.
    pub const OUT_OF_MEMORY: Category = Category::builtin("out_of_memory");
    /// An event that matches no category.
    pub const UNCLASSIFIED: Category = Category::builtin("unclassified");

    /// The built-in categories, in their report order.
    pub const BUILTIN: [Category; 7] = [
        Category::UNDEFINED_SYMBOL,
        Category::MISSING_MODULE,
        Category::CONNECTION_REFUSED,
        Category::SLOW_QUERY,
        Category::TIMEOUT,
        Category::OUT_OF_MEMORY,
        Category::UNCLASSIFIED,
    ];

    const fn builtin(id: &'static str) -> Category {
        Category(Cow::Borrowed(id))
    }

    /// The category `id`, when it is snake_case (`[a-z][a-z0-9_]*`). A built-in id gives the
    /// built-in category.
    pub fn new(id: &str) -> Option<Category> {
        let mut chars = id.chars();
        let snake = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        snake.then(|| Category::from(id.to_string()))
    }

    /// The id, e.g. `undefined_symbol`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Category {
    /// [`Category::UNCLASSIFIED`].
    fn default() -> Self {
        Category::UNCLASSIFIED
    }
}

impl From<String> for Category {
    /// Built-in ids share the built-in value (cloning it never allocates); any other string
    /// is taken as it is, unchecked.
    fn from(id: String) -> Self {
        match Category::BUILTIN.iter().find(|c| c.as_str() == id) {
            Some(builtin) => builtin.clone(),
            None => Category(Cow::Owned(id)),
        }
    }
}

impl Borrow<str> for Category {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Category {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Category {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Category {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl serde::Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Category::from)
    }
}

/// The categories a classifier knows, each with its rank in a report (lower first).
#[derive(Clone, Debug, Default)]
pub struct Categories {
    known: Vec<(Category, u32)>,
}

impl Categories {
    /// Whether `id` is one of them.
    pub fn contains(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    /// The rank of `id`; unknown ids rank last.
    pub fn rank(&self, id: &str) -> u32 {
        self.position(id)
            .and_then(|i| self.known.get(i))
            .map_or(u32::MAX, |(_, rank)| *rank)
    }

    /// The categories, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.known.iter().map(|(c, _)| c)
    }

    /// The ids joined by `, `, for error messages that list the valid names.
    pub fn names(&self) -> String {
        self.iter()
            .map(Category::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.known.iter().position(|(c, _)| c.as_str() == id)
    }

    /// Adds `category` at `rank`, or sets the rank of one already there; returns its index.
    pub(crate) fn upsert(&mut self, category: Category, rank: Option<u32>, default: u32) -> usize {
        match self.position(category.as_str()) {
            Some(i) => {
                if let (Some(rank), Some(slot)) = (rank, self.known.get_mut(i)) {
                    slot.1 = rank;
                }
                i
            }
            None => {
                self.known.push((category, rank.unwrap_or(default)));
                self.known.len() - 1
            }
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<&Category> {
        self.known.get(i).map(|(c, _)| c)
    }
}
