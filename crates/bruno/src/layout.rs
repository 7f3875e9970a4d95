//! Which file of a collection a path names, in either format: Bruno's rules for a
//! collection directory (`bruno.json` + `collection.bru`, or `opencollection.yml`;
//! `folder.bru` / `folder.yml`; files in `environments/`; every other `.bru` / `.yml`
//! file a request).

/// What a collection file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A request.
    Request,
    /// `folder.bru` / `folder.yml`: a folder's settings.
    Folder,
    /// `collection.bru` or `opencollection.yml`: the collection's settings.
    Collection,
    /// `bruno.json`: the `.bru` format's collection manifest.
    Manifest,
    /// A file in `environments/`.
    Environment,
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.bru` (and `bruno.json`).
    Bru,
    /// OpenCollection YAML (`.yml` / `.yaml`).
    Yaml,
}

impl Format {
    /// The file extension Bruno writes.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Bru => "bru",
            Self::Yaml => "yml",
        }
    }
}

/// The kind and format of the file at `path` (`/`-separated, relative to the collection
/// root), or `None` for a file that is not part of a collection.
pub fn classify(path: &str) -> Option<(FileKind, Format)> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let parent = dir.rsplit('/').next().unwrap_or("");
    let (stem, format) = if let Some(stem) = name.strip_suffix(".bru") {
        (stem, Format::Bru)
    } else if let Some(stem) = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
    {
        (stem, Format::Yaml)
    } else if name == "bruno.json" {
        return Some((FileKind::Manifest, Format::Bru));
    } else {
        return None;
    };
    if stem.is_empty() {
        return None;
    }
    let kind = match (stem, format) {
        ("collection", Format::Bru) | ("opencollection", Format::Yaml) => FileKind::Collection,
        ("folder", _) => FileKind::Folder,
        _ if parent == "environments" => FileKind::Environment,
        _ => FileKind::Request,
    };
    Some((kind, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified_like_bruno() {
        use FileKind::*;
        use Format::*;
        for (path, want) in [
            ("bruno.json", Some((Manifest, Bru))),
            ("collection.bru", Some((Collection, Bru))),
            ("opencollection.yml", Some((Collection, Yaml))),
            ("opencollection.yaml", Some((Collection, Yaml))),
            ("orders/folder.bru", Some((Folder, Bru))),
            ("orders/folder.yml", Some((Folder, Yaml))),
            ("orders/placeorder.bru", Some((Request, Bru))),
            ("orders/placeorder.yml", Some((Request, Yaml))),
            ("placeorder.yaml", Some((Request, Yaml))),
            ("environments/local.bru", Some((Environment, Bru))),
            ("environments/local.yml", Some((Environment, Yaml))),
            ("notes.txt", None),
            ("orders/.bru", None),
            ("orders/bruno.json.bak", None),
        ] {
            assert_eq!(classify(path), want, "{path}");
        }
    }
}
