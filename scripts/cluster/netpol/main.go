// Command kube-router-netpol enforces NetworkPolicy on the real local nodes with the controller
// k3s embeds: kube-router's network policy controller (iptables and ipset), started here much
// as k3s's agent starts it (pkg/agent/netpol in k3s): the netpol controller alone, no routing,
// no service proxy (kube-proxy serves Services).
//
// One difference, because all local nodes share this machine's network namespace: kube-router
// guards the pods whose status.hostIP is its node's address, and two controllers in one network
// namespace would each remove the other's chains. So one controller guards every node's pods:
// its pod informer reports each pod's hostIP as the address of the node named by
// --hostname-override. Every pod's traffic passes through this one namespace (bridges and
// routes between them), so the rules apply to all of it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/cloudnativelabs/kube-router/v2/pkg/controllers/netpol"
	"github.com/cloudnativelabs/kube-router/v2/pkg/healthcheck"
	"github.com/cloudnativelabs/kube-router/v2/pkg/options"
	"github.com/cloudnativelabs/kube-router/v2/pkg/utils"
	"github.com/coreos/go-iptables/iptables"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func main() { os.Exit(run()) }

func fail(format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "kube-router-netpol: "+format+"\n", a...)
	return 1
}

func run() int {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the controller's identity (required)")
	node := flag.String("hostname-override", "", "Node whose InternalIP every pod's hostIP is reported as (required)")
	serviceCIDR := flag.String("service-cluster-ip-range", "10.96.0.0/12", "the cluster's Service CIDR")
	nodePorts := flag.String("service-node-port-range", "30000:32767", "the cluster's NodePort range, as FIRST:LAST")
	klog.InitFlags(nil)
	flag.Parse()
	if *kubeconfig == "" || *node == "" {
		fmt.Fprintln(os.Stderr, "kube-router-netpol: --kubeconfig and --hostname-override are required")
		return 2
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	restConfig, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fail("kubeconfig %s: %v", *kubeconfig, err)
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return fail("%v", err)
	}

	// The controller reads its node's addresses once, at creation: wait for the Node to have one.
	// kube-router looks the Node up by $NODE_NAME before the hostname override: pin it.
	if err := os.Setenv("NODE_NAME", *node); err != nil {
		return fail("%v", err)
	}
	var nodeIP string
	for waited := 0; nodeIP == ""; waited++ {
		n, err := client.CoreV1().Nodes().Get(ctx, *node, metav1.GetOptions{})
		switch {
		case apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err):
			return fail("reading Node %s: %v", *node, err)
		case err != nil && waited%10 == 0:
			klog.InfoS("waiting for the Node", "node", *node, "err", err)
		case err == nil:
			for _, a := range n.Status.Addresses {
				if a.Type == v1.NodeInternalIP {
					nodeIP = a.Address // the first, as kube-router takes it
					break
				}
			}
		}
		if nodeIP == "" {
			select {
			case <-ctx.Done():
				return fail("stopped while waiting for Node %s to report an InternalIP", *node)
			case <-time.After(time.Second):
			}
		}
	}

	ipset, err := utils.NewIPSet(false)
	if err != nil {
		return fail("ipset: %v", err)
	}
	if err := ipset.Save(); err != nil {
		return fail("ipset cannot list the kernel's sets (needs root and ip_set): %v", err)
	}
	ipt, err := iptables.NewWithProtocol(iptables.ProtocolIPv4)
	if err != nil {
		return fail("iptables: %v", err)
	}

	config := options.NewKubeRouterConfig()
	config.ClusterIPCIDRs = []string{*serviceCIDR}
	config.NodePortRange = *nodePorts
	config.HostnameOverride = *node
	config.EnableIPv4 = true
	config.EnableIPv6 = false
	config.RunFirewall = true
	config.RunRouter = false
	config.RunServiceProxy = false
	config.MetricsEnabled = false

	factory := informers.NewSharedInformerFactory(client, 0)
	podInformer := factory.Core().V1().Pods().Informer()
	if err := podInformer.SetTransform(func(obj any) (any, error) {
		if pod, ok := obj.(*v1.Pod); ok && pod.Status.HostIP != "" {
			pod.Status.HostIP = nodeIP
			pod.Status.HostIPs = []v1.HostIP{{IP: nodeIP}}
		}
		return obj, nil
	}); err != nil {
		return fail("%v", err)
	}
	nsInformer := factory.Core().V1().Namespaces().Informer()
	npInformer := factory.Networking().V1().NetworkPolicies().Informer()
	factory.Start(ctx.Done())
	for informer, synced := range factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return fail("could not list %v from the API server", informer)
		}
	}

	controller, err := netpol.NewNetworkPolicyController(client, config, podInformer, npInformer, nsInformer,
		&sync.Mutex{},
		map[v1.IPFamily]utils.IPTablesHandler{v1.IPv4Protocol: ipt},
		map[v1.IPFamily]utils.IPSetHandler{v1.IPv4Protocol: ipset})
	if err != nil {
		return fail("%v", err)
	}
	for _, add := range []func() error{
		func() error { _, err := podInformer.AddEventHandler(controller.PodEventHandler); return err },
		func() error { _, err := nsInformer.AddEventHandler(controller.NamespaceEventHandler); return err },
		func() error { _, err := npInformer.AddEventHandler(controller.NetworkPolicyEventHandler); return err },
	} {
		if err := add(); err != nil {
			return fail("%v", err)
		}
	}

	// The controller sends a heartbeat at the start of every full sync and blocks until it is read:
	// read them until the controller has stopped, so that a sync starting at shutdown cannot hang it.
	heartbeats := make(chan *healthcheck.ControllerHeartbeat)
	stopped := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopped:
				return
			case h := <-heartbeats:
				klog.V(2).InfoS("full sync", "component", h.Component)
			}
		}
	}()

	klog.InfoS("guarding every local node's pods", "node", *node, "nodeIP", nodeIP)
	var wg sync.WaitGroup
	wg.Add(1)
	go controller.Run(heartbeats, ctx.Done(), &wg)
	<-ctx.Done()
	wg.Wait()
	close(stopped)
	return 0
}
