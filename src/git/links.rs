//! Commit links built from the `origin` remote: GitHub, GitLab, Bitbucket, Gitea (Forgejo, Codeberg) and
//! sourcehut, or a configured template. Unknown hosts get no link rather than a wrong one.

/// The web address of a repository's commit, or None when the remote's host is not recognised.
pub fn commit_url(remote: &str, sha: &str, template: Option<&str>) -> Option<String> {
    let short = &sha[..sha.len().min(12)];
    let (host, path) = host_and_path(remote)?;
    let path = path
        .trim_matches('/')
        .trim_end_matches(".git")
        .trim_matches('/');
    if let Some(t) = template {
        return Some(
            t.replace("{sha}", sha)
                .replace("{short}", short)
                .replace("{host}", &host)
                .replace("{repo}", path),
        );
    }
    if path.is_empty() || path.contains("..") {
        return None;
    }
    let base = format!("https://{host}/{path}");
    Some(match forge_of_host(&host)? {
        Forge::GitHub | Forge::Gitea | Forge::SourceHut => format!("{base}/commit/{sha}"),
        Forge::GitLab => format!("{base}/-/commit/{sha}"),
        Forge::Bitbucket => format!("{base}/commits/{sha}"),
    })
}

/// The code hosts git-notion knows: their commit links, and their conventions in commit messages
/// (pull-request numbers that are not tickets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    /// github.com and GitHub Enterprise hosts (`github.*`).
    GitHub,
    /// gitlab.com and self-hosted GitLab (a host naming `gitlab`).
    GitLab,
    /// Bitbucket.
    Bitbucket,
    /// Gitea, Forgejo, Codeberg.
    Gitea,
    /// sourcehut (`git.sr.ht`).
    SourceHut,
}

/// The forge a remote is on, or None for a host not recognised (or a local path).
pub fn forge(remote: &str) -> Option<Forge> {
    forge_of_host(&host_and_path(remote)?.0)
}

fn forge_of_host(host: &str) -> Option<Forge> {
    let h = host.to_ascii_lowercase();
    if h == "github.com" || h.starts_with("github.") || h.contains(".github.") {
        Some(Forge::GitHub)
    } else if h.contains("gitlab") {
        Some(Forge::GitLab)
    } else if h.contains("bitbucket") {
        Some(Forge::Bitbucket)
    } else if h.contains("gitea") || h.contains("forgejo") || h == "codeberg.org" {
        Some(Forge::Gitea)
    } else if h == "git.sr.ht" {
        Some(Forge::SourceHut)
    } else {
        None
    }
}

/// Host and path of `https://host/o/r.git`, `ssh://git@host:22/o/r.git` or scp-like `git@host:o/r.git`.
fn host_and_path(remote: &str) -> Option<(String, String)> {
    let remote = remote.trim();
    if let Some((scheme, rest)) = remote.split_once("://") {
        if !["https", "http", "ssh", "git", "git+ssh", "ssh+git"].contains(&scheme) {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        let host = host.split(':').next()?;
        return (!host.is_empty()).then(|| (host.to_string(), path.to_string()));
    }
    // scp-like: [user@]host:path (not a local path).
    let (authority, path) = remote.split_once(':')?;
    if authority.contains('/') || path.starts_with("//") {
        return None;
    }
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then(|| (host.to_string(), path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn forges() {
        let cases = [
            (
                "git@github.com:acme/app.git",
                "https://github.com/acme/app/commit/",
            ),
            (
                "https://github.com/acme/app",
                "https://github.com/acme/app/commit/",
            ),
            (
                "https://user@github.com/acme/app.git/",
                "https://github.com/acme/app/commit/",
            ),
            (
                "ssh://git@gitlab.com:2222/grp/sub/app.git",
                "https://gitlab.com/grp/sub/app/-/commit/",
            ),
            (
                "git@gitlab.acme.io:team/app.git",
                "https://gitlab.acme.io/team/app/-/commit/",
            ),
            (
                "git@bitbucket.org:acme/app.git",
                "https://bitbucket.org/acme/app/commits/",
            ),
            (
                "https://codeberg.org/acme/app.git",
                "https://codeberg.org/acme/app/commit/",
            ),
            (
                "https://gitea.acme.dev/acme/app",
                "https://gitea.acme.dev/acme/app/commit/",
            ),
            (
                "git@git.sr.ht:~acme/app",
                "https://git.sr.ht/~acme/app/commit/",
            ),
        ];
        for (remote, prefix) in cases {
            assert_eq!(
                commit_url(remote, SHA, None),
                Some(format!("{prefix}{SHA}")),
                "{remote}"
            );
        }
    }

    #[test]
    fn unknown_and_local_remotes_get_no_link() {
        assert_eq!(commit_url("/srv/git/app.git", SHA, None), None);
        assert_eq!(commit_url("../app", SHA, None), None);
        assert_eq!(commit_url("git@example.com:acme/app.git", SHA, None), None);
        assert_eq!(commit_url("file:///srv/app.git", SHA, None), None);
    }

    #[test]
    fn template() {
        assert_eq!(
            commit_url(
                "git@git.acme.com:team/app.git",
                SHA,
                Some("https://{host}/{repo}/c/{short}")
            ),
            Some("https://git.acme.com/team/app/c/0123456789ab".into())
        );
    }
}
