package scenario

import (
	"context"

	"github.com/kvenv/kvenv/e2e/cluster"
	"github.com/kvenv/kvenv/e2e/images"
)

// nonRoot is the user of both images (distroless "nonroot").
const nonRoot = "65532:65532"

// pushImages builds and pushes the kvenv image (its three binaries in
// /usr/local/bin, the webhook as ENTRYPOINT, as the chart expects) and the
// sample app's image, whose ENTRYPOINT kvenv must read from the registry.
func pushImages(ctx context.Context, c *cluster.Cluster) (kvenvRef, appRef string, err error) {
	kvenvFiles := map[string]images.File{}
	for _, name := range []string{"kvenv-webhook", "kvenv", "kvenv-exec"} {
		if kvenvFiles["/usr/local/bin/"+name], err = goBinaryFile(name); err != nil {
			return "", "", err
		}
	}
	kvenvRef, err = c.PushImage(ctx, "kvenv", images.Spec{
		Files: kvenvFiles, Entrypoint: []string{"/usr/local/bin/kvenv-webhook"}, User: nonRoot,
	})
	if err != nil {
		return "", "", err
	}
	app, err := goBinaryFile("sampleapp")
	if err != nil {
		return "", "", err
	}
	appRef, err = c.PushImage(ctx, "sampleapp", images.Spec{
		Files: map[string]images.File{"/sampleapp": app}, Entrypoint: []string{"/sampleapp"}, User: nonRoot,
	})
	return kvenvRef, appRef, err
}

func goBinaryFile(name string) (images.File, error) {
	path, err := cluster.GoBinaryPath(name)
	if err != nil {
		return images.File{}, err
	}
	return images.FileFromDisk(path)
}
