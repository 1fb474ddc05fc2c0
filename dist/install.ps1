# Installs git-notion on Windows from its release archive (no build): downloads
# git-notion-VERSION-x86_64-pc-windows-msvc.zip and its .sha256 from the release, checks the SHA-256,
# and puts git-notion, git-notion-replay, git-notion-hook and notion-sandbox into
# $env:USERPROFILE\.git-notion\bin (or -Dir). Then add that directory to PATH and run
# `git notion hooks install` in your repository.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 -Url https://github.com/OWNER/git-notion/releases/download/vX.Y.Z -Version X.Y.Z
param(
  [Parameter(Mandatory = $true)][string]$Url,
  [Parameter(Mandatory = $true)][string]$Version,
  [string]$Dir = "$env:USERPROFILE\.git-notion\bin"
)
$ErrorActionPreference = "Stop"
$name = "git-notion-$Version-x86_64-pc-windows-msvc"
$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ([System.Guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
Invoke-WebRequest "$Url/$name.zip" -OutFile "$tmp\$name.zip"
Invoke-WebRequest "$Url/$name.zip.sha256" -OutFile "$tmp\$name.zip.sha256"
$want = (Get-Content "$tmp\$name.zip.sha256").Split(" ")[0].ToLower()
$have = (Get-FileHash "$tmp\$name.zip" -Algorithm SHA256).Hash.ToLower()
if ($want -ne $have) { throw "$name.zip does not match its SHA-256: not installed" }
Expand-Archive "$tmp\$name.zip" -DestinationPath $tmp
New-Item -ItemType Directory -Force -Path $Dir | Out-Null
foreach ($b in "git-notion", "git-notion-replay", "git-notion-hook", "notion-sandbox") {
  Copy-Item "$tmp\$name\$b.exe" $Dir -Force
}
Remove-Item -Recurse -Force $tmp
Write-Output "Installed git-notion $Version into $Dir (SHA-256 checked). Add it to PATH, then run: git notion hooks install"
