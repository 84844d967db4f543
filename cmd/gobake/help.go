package main

// What each command's exit status means, by command name: shown in the
// command's --help and in README.md's table (a test keeps them equal).
// Every command exits 2 for a usage error (unknown flag, bad value,
// conflicting flags).
func exitStatuses() map[string]string {
	return map[string]string{
		"build":      "0 every image was built and published; 1 an error (an image that fails to build publishes nothing); 2 a usage error.",
		"plan":       "0 success (with --exit-code: no image is new or changed); 3 with --exit-code, an image is new or changed; 1 an error; 2 a usage error.",
		"release":    "0 released, or nothing to release; 1 the release failed: every failure is listed, nothing visible moved unless the versions were claimed (git tags), no GitOps commit is pushed unless every image tag is in place, and running it again completes it; 2 a usage error.",
		"affected":   "0 whether or not an image is affected (the list is empty then); 1 an error; 2 a usage error.",
		"schema":     "0; 2 a usage error.",
		"version":    "0; 2 a usage error.",
		"init":       "0 the file was written (or printed with --stdout); 1 an error, e.g. gobake.yaml exists and --force is not given; 2 a usage error.",
		"resolve":    "0 every reference was resolved; 1 an error: unknown references (each listed with file:line), a failed build, no registry; 2 a usage error.",
		"apply":      "0 kubectl apply succeeded; 1 resolving failed, or kubectl is missing or failed (its output is shown); 2 a usage error.",
		"completion": "0; 2 a usage error (a shell other than bash, zsh or fish).",
		"run":        "the container's; 1 an error before it ran (a failed build, no podman or docker); 2 a usage error.",
		"prune":      "0 pruned, or nothing to prune; 1 an error (a manifest index.json names is missing from the layout: nothing is removed); 2 a usage error.",
		"cache":      "0 the caches are empty (work directories of builds still running are kept); 1 an error; 2 a usage error.",
	}
}

// helpText is the detailed help of command name: its examples, then its
// exit status.
func helpText(name, examples string) string {
	return "Examples:\n\n" + examples + "\nExit status: " + exitStatuses()[name]
}

// Help is gobake's detailed help, after the command list.
func (cli) Help() string {
	return "Examples:\n\n" +
		"    gobake init                  # write gobake.yaml: one image per main package\n" +
		"    gobake build                 # build every image into the OCI layout .gobake/oci\n" +
		"\nExit status: 0 success, 1 an error, 2 a usage error; gobake plan --exit-code exits 3 when an image is new or changed. Each command's --help says more."
}

// Help shows examples of gobake build.
func (*buildCmd) Help() string {
	return helpText("build", ""+
		"    # every image into the OCI layout .gobake/oci\n"+
		"    gobake build\n\n"+
		"    # two images, for two platforms, to a registry\n"+
		"    gobake build api worker --registry ghcr.io/acme --platform linux/amd64,linux/arm64\n\n"+
		"    # in CI: only what changed since the last build, as JSON\n"+
		"    gobake build --changed --json\n\n"+
		"    # into the local podman or docker, for this machine's platform\n"+
		"    gobake build api --load\n\n"+
		"    # no progress on stderr, only the references (and errors)\n"+
		"    gobake build --quiet\n\n"+
		"    # one progress line per event even on a terminal (no bars)\n"+
		"    gobake build --progress=plain\n")
}

// Help shows examples of gobake plan.
func (*planCmd) Help() string {
	return helpText("plan", ""+
		"    # which images changed since their last build, and why\n"+
		"    gobake plan\n\n"+
		"    # a GitHub Actions matrix of what changed since origin/main\n"+
		"    gobake plan --since origin/main --matrix\n\n"+
		"    # every input difference of one image\n"+
		"    gobake plan --explain api\n")
}

// Help shows examples of gobake release.
func (*releaseCmd) Help() string {
	return helpText("release", ""+
		"    # what would be released, with versions and the GitOps diff\n"+
		"    gobake release --dry-run\n\n"+
		"    # release the changed images, with a JSON report\n"+
		"    gobake release --registry ghcr.io/acme --output release.json\n\n"+
		"    # a release candidate of api 2.0.0: 2.0.0-rc.N\n"+
		"    gobake release api --pre rc --version api=2.0.0\n\n"+
		"    # sharded over 3 CI jobs, then one job after them (docs/ci/sharding.md);\n"+
		"    # with a build cache the jobs share, --warm before them\n"+
		"    gobake release --warm --shards 3\n"+
		"    gobake release --shard 2/3\n"+
		"    gobake release --finalize --shards 3\n")
}

// Help shows examples of gobake affected.
func (*affectedCmd) Help() string {
	return helpText("affected", ""+
		"    # the images a file feeds\n"+
		"    gobake affected internal/auth/auth.go\n\n"+
		"    # the images a branch changes, deleted files included\n"+
		"    git diff --name-only origin/main | gobake affected --json\n")
}

// Help shows examples of gobake schema.
func (*schemaCmd) Help() string {
	return helpText("schema", ""+
		"    # for editors: add \"# yaml-language-server: $schema=gobake.schema.json\" to gobake.yaml\n"+
		"    gobake schema > gobake.schema.json\n")
}

// Help shows examples of gobake version.
func (*versionCmd) Help() string {
	return helpText("version", ""+
		"    gobake version\n")
}

// Help shows examples of gobake init.
func (*initCmd) Help() string {
	return helpText("init", ""+
		"    # gobake.yaml with the mains ko:// references name (or every main)\n"+
		"    gobake init\n\n"+
		"    # from .ko.yaml, keeping ko's image names, printed\n"+
		"    gobake init --from-ko --naming ko --stdout\n")
}

// Help shows examples of gobake resolve.
func (*resolveCmd) Help() string {
	return helpText("resolve", ""+
		"    # build the referenced images, print the YAML with their digests\n"+
		"    gobake resolve -f config/ > resolved.yaml\n\n"+
		"    # the digests of the released images, building nothing\n"+
		"    gobake resolve -f deploy.yaml --released --registry ghcr.io/acme\n")
}

// Help shows examples of gobake apply.
func (*applyCmd) Help() string {
	return helpText("apply", ""+
		"    gobake apply -f config/\n\n"+
		"    # arguments after -- go to kubectl apply\n"+
		"    gobake apply -f config/ -- --dry-run=server\n")
}

// Help shows examples of gobake completion.
func (*completionCmd) Help() string {
	return helpText("completion", ""+
		"    # bash or zsh: in ~/.bashrc or ~/.zshrc\n"+
		"    source <(gobake completion bash)\n\n"+
		"    # fish\n"+
		"    gobake completion fish > ~/.config/fish/completions/gobake.fish\n")
}
