// Command validator checks deployment files offline, the way the real tools read them, and prints
// what it read as JSON (for the deploy tests to assert on):
//
//	validator k8s FILE      rendered Kubernetes manifests (multi-document YAML), each decoded strictly
//	                        into its Go API type: an unknown or misspelt field, a wrong type or a
//	                        duplicate field is an error, as with `kubectl apply --validate=strict`.
//	validator compose FILE  a Compose file, loaded and schema-checked by compose-go, the loader of
//	                        `docker compose config`, with every profile enabled.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The kinds the chart renders, by apiVersion and kind. Anything else is an error: a kind this
// list does not know cannot be checked, so it must not pass unchecked.
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"keda.sh/v1alpha1/ScaledObject":           func() any { return &kedav1alpha1.ScaledObject{} },
}

func main() {
	if len(os.Args) < 3 || (os.Args[1] != "compose" && len(os.Args) != 3) {
		fail(errors.New("usage: validator k8s FILE | validator compose FILE [NAME=VALUE...]"))
	}
	var out any
	var err error
	switch os.Args[1] {
	case "k8s":
		out, err = validateManifests(os.Args[2])
	case "compose":
		out, err = validateCompose(os.Args[2], os.Args[3:])
	default:
		err = fmt.Errorf("unknown mode %q: k8s or compose", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// validateManifests decodes every document of a multi-document YAML file strictly and returns
// them as generic JSON objects (what the API server would store, defaults aside).
func validateManifests(file string) ([]map[string]any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var problems []string
	var objects []map[string]any
	for index, document := range splitDocuments(data) {
		asJSON, err := yaml.YAMLToJSONStrict(document)
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", index, err))
			continue
		}
		if string(bytes.TrimSpace(asJSON)) == "null" {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(asJSON, &meta); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", index, err))
			continue
		}
		where := fmt.Sprintf("document %d (%s %s)", index, meta.Kind, meta.Metadata.Name)
		newObject, known := kinds[meta.APIVersion+"/"+meta.Kind]
		if !known {
			problems = append(problems, fmt.Sprintf("%s: no schema for apiVersion %q kind %q", where, meta.APIVersion, meta.Kind))
			continue
		}
		if meta.Metadata.Name == "" {
			problems = append(problems, where+": metadata.name is empty")
		}
		typed := newObject()
		strict, err := sigsjson.UnmarshalStrict(asJSON, typed, sigsjson.DisallowUnknownFields)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		for _, problem := range strict {
			problems = append(problems, fmt.Sprintf("%s: %v", where, problem))
		}
		var generic map[string]any
		if err := json.Unmarshal(asJSON, &generic); err != nil {
			return nil, err
		}
		objects = append(objects, generic)
	}
	if len(objects) == 0 && len(problems) == 0 {
		problems = append(problems, file+": no manifests")
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return objects, nil
}

// splitDocuments splits YAML on its `---` document separators.
func splitDocuments(data []byte) [][]byte {
	var documents [][]byte
	var current bytes.Buffer
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.TrimRight(line, " \t\r\n") == "---" {
			documents = append(documents, bytes.Clone(current.Bytes()))
			current.Reset()
			continue
		}
		current.WriteString(line)
	}
	return append(documents, current.Bytes())
}

// validateCompose loads a Compose file as `docker compose config` does (schema, interpolation,
// merges, extends), with every profile enabled, and returns the resolved project.
func validateCompose(file string, variables []string) (any, error) {
	absolute, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	content, err := os.ReadFile(absolute)
	if err != nil {
		return nil, err
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(absolute),
		ConfigFiles: []types.ConfigFile{{Filename: absolute, Content: content}},
		// Interpolation sees the file's own defaults and the NAME=VALUE arguments, never this machine's environment.
		Environment: types.NewMapping(variables),
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(options *loader.Options) {
		options.SetProjectName("telemetry-api", true)
		options.Profiles = []string{"*"}
	})
	if err != nil {
		return nil, err
	}
	var buffer bytes.Buffer
	if err := json.NewEncoder(&buffer).Encode(project); err != nil {
		return nil, err
	}
	var generic any
	if err := json.NewDecoder(io.Reader(&buffer)).Decode(&generic); err != nil {
		return nil, err
	}
	return generic, nil
}
