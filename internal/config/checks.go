package config

// checkSharding: shards belong to plan, shard to deploy, results-files to
// merge.
func (b *builder) checkSharding() {
	c := b.cfg
	if c.Shards > 0 && c.Command != Plan {
		b.fail("shards", "", "is for command: plan (it sets the matrix output); the deploy jobs take shard: ${{ matrix.shard }}")
	}
	if c.Shard.Count > 0 && c.Command != Deploy && !b.bad["shard"] {
		b.fail("shard", "", "is for command: deploy (each matrix job deploys its slice)")
	}
	switch {
	case c.Command == Merge && len(c.ResultsFiles) == 0 && !b.bad["results-files"]:
		b.fail("results-files", "", "is required for merge (globs of the shards' results files, e.g. results/*.json)")
	case c.Command != Merge && len(c.ResultsFiles) > 0:
		b.fail("results-files", "", "is for command: merge (the deploy jobs write results-file)")
	}
	if c.ResultsFile != "" && (c.Command == Merge || c.Command == Emulate) {
		b.fail("results-file", "", "is not written by "+string(c.Command))
	}
}

// checkFiles: download must know where to write.
func (b *builder) checkFiles() {
	c := b.cfg
	if c.Command == Download && c.Output == "" && !b.bad["output"] {
		b.fail("output", "", "download needs --output FILE (where to write the downloaded code)")
	}
}

// checkCLIOnly: --listen and --token configure an emulator, so they mean
// nothing without one.
func (b *builder) checkCLIOnly() {
	c := b.cfg
	if c.ActionMode || c.Command == Emulate || c.Emulator {
		return
	}
	if b.set["listen"] && !b.bad["listen"] {
		b.fail("listen", "", "is only for emulate or --emulator")
	}
	if b.set["token"] && !b.bad["token"] {
		b.fail("token", "", "is only for emulate or --emulator (for the API use --access-token)")
	}
}

// warn names inputs that were accepted but will do nothing.
func (b *builder) warn() {
	c := b.cfg
	if b.set["output"] && c.Command != Pack && c.Command != Download {
		b.warnf("output is ignored by %s (it is for pack and download)", c.Command)
	}
	if c.Command == Deploy && !c.Invoke {
		if c.InvokeExpect.Set() {
			b.warnf("invoke-expect is ignored because invoke is false")
		}
		if c.RollbackOnFailure {
			b.warnf("rollback-on-failure has no effect without invoke: true (it reacts to a failed smoke test)")
		}
	}
	if c.Provider == ProviderTencentCloud && b.set["envs-per-call"] {
		b.warnf("envs-per-call is for the wechat provider's batch calls; tencentcloud uploads one env per call")
	}
}
