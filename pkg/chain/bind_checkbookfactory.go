// Code generated - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package chain

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = errors.New
	_ = big.NewInt
	_ = strings.NewReader
	_ = ethereum.NotFound
	_ = bind.Bind
	_ = common.Big1
	_ = types.BloomLookup
	_ = event.NewSubscription
	_ = abi.ConvertType
	_ = time.Tick
	_ = context.Background
)

// CheckbookFactoryMetaData contains all meta data concerning the CheckbookFactory contract.
var CheckbookFactoryMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractIERC20\",\"name\":\"token_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"issuer\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"checkbook\",\"type\":\"address\"}],\"name\":\"CheckbookDeployed\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"checkbookOf\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"noticePeriod\",\"type\":\"uint256\"}],\"name\":\"deploy\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"deployedBy\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"token\",\"outputs\":[{\"internalType\":\"contractIERC20\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	Bin: "0x60a060405234801561000f575f5ffd5b5060405161204438038061204483398101604081905261002e91610099565b6001600160a01b0381166100885760405162461bcd60e51b815260206004820152601c60248201527f436865636b626f6f6b466163746f72793a207a65726f20746f6b656e00000000604482015260640160405180910390fd5b6001600160a01b03166080526100c6565b5f602082840312156100a9575f5ffd5b81516001600160a01b03811681146100bf575f5ffd5b9392505050565b608051611f606100e45f395f818160dd01526101030152611f605ff3fe608060405234801561000f575f5ffd5b506004361061004a575f3560e01c806367d95cc21461004e57806382ed1e5b14610085578063a5e38751146100c5578063fc0c546a146100d8575b5f5ffd5b61007061005c3660046101f6565b5f6020819052908152604090205460ff1681565b60405190151581526020015b60405180910390f35b6100ad6100933660046101f6565b60016020525f90815260409020546001600160a01b031681565b6040516001600160a01b03909116815260200161007c565b6100ad6100d3366004610223565b6100ff565b6100ad7f000000000000000000000000000000000000000000000000000000000000000081565b5f5f7f00000000000000000000000000000000000000000000000000000000000000003384604051610130906101e9565b6001600160a01b0393841681529290911660208301526040820152606001604051809103905ff080158015610167573d5f5f3e3d5ffd5b506001600160a01b0381165f81815260208181526040808320805460ff19166001908117909155338085529083529281902080546001600160a01b03191685179055519283529293508392909182917f9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459910160405180910390a2509392505050565b611cf08061023b83390190565b5f60208284031215610206575f5ffd5b81356001600160a01b038116811461021c575f5ffd5b9392505050565b5f60208284031215610233575f5ffd5b503591905056fe6101c0604052348015610010575f5ffd5b50604051611cf0380380611cf083398101604081905261002f91610253565b6040518060400160405280601381526020017f4d61696e6672616d6520436865636b626f6f6b00000000000000000000000000815250604051806040016040528060018152602001603160f81b81525061008e826101ff60201b60201c565b6101205261009b816101ff565b61014052815160208084019190912060e052815190820120610100524660a05261012760e05161010051604080517f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f60208201529081019290925260608201524660808201523060a08201525f9060c00160405160208183030381529060405280519060200120905090565b60805250503060c0526001600160a01b03831661018b5760405162461bcd60e51b815260206004820152601560248201527f436865636b626f6f6b3a207a65726f20746f6b656e000000000000000000000060448201526064015b60405180910390fd5b6001600160a01b0382166101e15760405162461bcd60e51b815260206004820152601660248201527f436865636b626f6f6b3a207a65726f20697373756572000000000000000000006044820152606401610182565b6001600160a01b03928316610160529116610180526101a0526102ee565b5f5f829050601f81511115610229578260405163305a27a960e01b81526004016101829190610293565b8051610234826102c8565b179392505050565b6001600160a01b0381168114610250575f5ffd5b50565b5f5f5f60608486031215610265575f5ffd5b83516102708161023c565b60208501519093506102818161023c565b80925050604084015190509250925092565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b805160208083015191908110156102e8575f198160200360031b1b821691505b50919050565b60805160a05160c05160e05161010051610120516101405161016051610180516101a0516119386103b85f395f818161037301528181610c02015261107e01525f81816102120152818161049a0152818161064e0152818161078a0152818161085f01528181610bbb01528181610cb60152610fa801525f818161043d0152818161076801528181610b7b01528181610e8c0152610f0f01525f6112db01525f6112b001525f61147601525f61144e01525f6113a901525f6113d301525f6113fd01526119385ff3fe608060405234801561000f575f5ffd5b50600436106101c6575f3560e01c806384b0196e116100fe578063b648b4171161009e578063da2422761161006e578063da242276146103fd578063e0bcf13a1461041c578063ee019feb14610425578063fc0c546a14610438575f5ffd5b8063b648b417146103bd578063b69ef8a8146103da578063b6b55f25146103e2578063b7ec1a33146103f5575f5ffd5b80639a76ed6c116100d95780639a76ed6c1461034f5780639b14d4c61461036e578063a637640f14610395578063aae7d1ae146103b4575f5ffd5b806384b0196e1461030e578063946f46a21461032957806398967d951461033c575f5ffd5b8063408f6aa51161016957806364f297081161014457806364f29708146102aa5780636971be4f146102bd5780636fb3ab61146102dc57806381f03fcb146102ef575f5ffd5b8063408f6aa514610285578063534844a214610298578063641c766e146102a1575f5ffd5b80632db9395a116101a45780632db9395a1461024c578063338f3fed1461025f5780633514264f146102745780633ccfd60b1461027d575f5ffd5b80631357e1dc146101ca57806315c3343f146101e65780631d1438481461020d575b5f5ffd5b6101d360045481565b6040519081526020015b60405180910390f35b6101d37f6b9b27e0b5101c510984a43623be799b197c9a873ac42e5ec297e64243ae667981565b6102347f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016101dd565b6101d361025a36600461167a565b61045f565b61027261026d366004611693565b61048f565b005b6101d360055481565b610272610643565b6101d3610293366004611693565b6107b3565b6101d3600c5481565b6101d3600d5481565b6102726102b83660046116bb565b610826565b6101d36102cb36600461167a565b600a6020525f908152604090205481565b6102726102ea36600461173e565b610bb0565b6101d36102fd36600461167a565b60026020525f908152604090205481565b610316610c69565b6040516101dd9796959493929190611783565b61027261033736600461167a565b610cab565b6101d361034a36600461167a565b610e48565b6101d361035d36600461167a565b600b6020525f908152604090205481565b6101d37f000000000000000000000000000000000000000000000000000000000000000081565b6101d36103a336600461167a565b60086020525f908152604090205481565b6101d360065481565b6007546103ca9060ff1681565b60405190151581526020016101dd565b6101d3610e75565b6102726103f036600461173e565b610f02565b6101d3610f6f565b6101d361040b36600461167a565b60036020525f908152604090205481565b6101d360095481565b610272610433366004611693565b610f9d565b6102347f000000000000000000000000000000000000000000000000000000000000000081565b6001600160a01b0381165f9081526008602052604081205461047f610f6f565b610489919061182d565b92915050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146104e05760405162461bcd60e51b81526004016104d790611840565b60405180910390fd5b6001600160a01b0382166105365760405162461bcd60e51b815260206004820152601b60248201527f436865636b626f6f6b3a207a65726f2062656e6566696369617279000000000060448201526064016104d7565b61053e610f6f565b8111156105a65760405162461bcd60e51b815260206004820152603060248201527f436865636b626f6f6b3a2068617264206465706f7369742061626f766520746860448201526f65206c69717569642062616c616e636560801b60648201526084016104d7565b6001600160a01b0382165f908152600860205260408120546105c990839061182d565b6001600160a01b0384165f9081526008602052604081208290556009805492935084929091906105fa90849061182d565b90915550506040518181526001600160a01b038416907f316b52a3b151a9fa03623b976971e3d77a6d969d90005343c9cc9f7d89de3a0f906020015b60405180910390a2505050565b336001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161461068b5760405162461bcd60e51b81526004016104d790611840565b600c54806106e65760405162461bcd60e51b815260206004820152602260248201527f436865636b626f6f6b3a206e6f207769746864726177616c20616e6e6f756e63604482015261195960f21b60648201526084016104d7565b600d544210156107085760405162461bcd60e51b81526004016104d790611883565b5f610711610f6f565b90508082111561071f578091505b5f600c819055600d556040518281527f430648de173157e069201c943adb2d4e340e7cf5b27b1b09c9cb852f03d63b569060200160405180910390a16107af6001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000167f000000000000000000000000000000000000000000000000000000000000000084611102565b5050565b604080517f6b9b27e0b5101c510984a43623be799b197c9a873ac42e5ec297e64243ae6679602082015230918101919091526001600160a01b0383166060820152608081018290525f9061081f9060a0016040516020818303038152906040528051906020012061113c565b9392505050565b5f5f61083c61083587876107b3565b8585611168565b5090925090505f816003811115610855576108556118c4565b14801561089357507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316826001600160a01b0316145b6108eb5760405162461bcd60e51b815260206004820152602360248201527f436865636b626f6f6b3a20696e76616c696420636865717565207369676e617460448201526275726560e81b60648201526084016104d7565b6001600160a01b0386165f908152600260205260409020548086116109525760405162461bcd60e51b815260206004820181905260248201527f436865636b626f6f6b3a2063686571756520616c72656164792063617368656460448201526064016104d7565b5f61095d82886118d8565b90505f6109698961045f565b90505f818310610979578161097b565b825b6001600160a01b038b165f90815260036020526040902054909150811515806109a35750808a115b6109ef5760405162461bcd60e51b815260206004820152601960248201527f436865636b626f6f6b3a206e6f7468696e6720746f207061790000000000000060448201526064016104d7565b6109f98b836111af565b5f610a0486836118d8565b9050818b1115610a2c576001600160a01b038c165f9081526003602052604090208b90558a91505b610a36838761182d565b6001600160a01b038d165f9081526002602052604081209190915560048054859290610a6390849061182d565b90915550839050610a7487846118d8565b610a7e91906118d8565b81600554610a8c91906118d8565b610a96919061182d565b6005558215610ae457604080518c8152602081018590526001600160a01b038e16917f67e81448d86cfbbf3135a82e52b8eb4eb9863ec9130b05e836045e45df94d788910160405180910390a25b84831015610b68576007805460ff19166001908117909155600680545f90610b0d90849061182d565b90915550506001600160a01b038c167f9a8ffac28ab8409cf23919982224c251b36b3e358ba30c93381469a5b8d9a7558c85610b49818a6118d8565b6040805193845260208401929092529082015260600160405180910390a25b8215610ba257610ba26001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000168d85611102565b505050505050505050505050565b336001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001614610bf85760405162461bcd60e51b81526004016104d790611840565b600c819055610c277f00000000000000000000000000000000000000000000000000000000000000004261182d565b600d8190556040805183815260208101929092527f80635c0c9758379177eed81aef3c2639ffdfcc663bc1ecae2359cc463dd31c76910160405180910390a150565b5f6060805f5f5f6060610c7a6112a9565b610c826112d4565b604080515f80825260208201909252600f60f81b9b939a50919850469750309650945092509050565b336001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001614610cf35760405162461bcd60e51b81526004016104d790611840565b6001600160a01b0381165f908152600a602052604090205480610d585760405162461bcd60e51b815260206004820181905260248201527f436865636b626f6f6b3a206e6f20646563726561736520616e6e6f756e63656460448201526064016104d7565b6001600160a01b0382165f908152600b6020526040902054421015610d8f5760405162461bcd60e51b81526004016104d790611883565b6001600160a01b0382165f9081526008602052604090205480821115610db3578091505b610dbd82826118d8565b6001600160a01b0384165f908152600860205260408120829055600980549293508492909190610dee9084906118d8565b90915550506001600160a01b0383165f818152600a60209081526040808320839055600b82528083209290925590518381527f316b52a3b151a9fa03623b976971e3d77a6d969d90005343c9cc9f7d89de3a0f9101610636565b6001600160a01b0381165f90815260026020908152604080832054600390925282205461048991906118d8565b6040516370a0823160e01b81523060048201525f907f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316906370a0823190602401602060405180830381865afa158015610ed9573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610efd91906118eb565b905090565b610f376001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000163330846112ff565b60405181815233907f2da466a7b24304f47e87fa2e1e5a81b9831ce54fec19055ce277ca2f39ba42c49060200160405180910390a250565b5f5f610f79610e75565b90506009548111610f8a575f610f97565b600954610f9790826118d8565b91505090565b336001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001614610fe55760405162461bcd60e51b81526004016104d790611840565b6001600160a01b0382165f9081526008602052604090205481111561105f5760405162461bcd60e51b815260206004820152602a60248201527f436865636b626f6f6b3a2064656372656173652061626f7665207468652068616044820152691c990819195c1bdcda5d60b21b60648201526084016104d7565b6001600160a01b0382165f908152600a602052604090208190556110a37f00000000000000000000000000000000000000000000000000000000000000004261182d565b6001600160a01b0383165f818152600b6020526040908190208390555190917f0f2bcdf41ac934a4dcc19dfd68f60b07b549da9dc755821090e33891769a530b916110f691858252602082015260400190565b60405180910390a25050565b61110f838383600161133b565b61113757604051635274afe760e01b81526001600160a01b03841660048201526024016104d7565b505050565b5f61048961114861139d565b8360405161190160f01b8152600281019290925260228201526042902090565b5f8080604184900361119c578435602086013560408701355f1a61118e898285856114c6565b9550955095505050506111a6565b505f915060029050825b93509350939050565b6001600160a01b0382165f90815260086020526040812054908183106111d557816111d7565b825b9050805f036111e65750505050565b6111f081836118d8565b6001600160a01b0385165f9081526008602052604081208290556009805492945083929091906112219084906118d8565b90915550506001600160a01b0384165f908152600a6020526040902054821015611260576001600160a01b0384165f908152600a602052604090208290555b836001600160a01b03167f316b52a3b151a9fa03623b976971e3d77a6d969d90005343c9cc9f7d89de3a0f8360405161129b91815260200190565b60405180910390a250505050565b6060610efd7f000000000000000000000000000000000000000000000000000000000000000061158e565b6060610efd7f000000000000000000000000000000000000000000000000000000000000000061158e565b61130d8484848460016115cb565b61133557604051635274afe760e01b81526001600160a01b03851660048201526024016104d7565b50505050565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f51148316611391578383151615611385573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b5f306001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161480156113f557507f000000000000000000000000000000000000000000000000000000000000000046145b1561141f57507f000000000000000000000000000000000000000000000000000000000000000090565b610efd604080517f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f60208201527f0000000000000000000000000000000000000000000000000000000000000000918101919091527f000000000000000000000000000000000000000000000000000000000000000060608201524660808201523060a08201525f9060c00160405160208183030381529060405280519060200120905090565b5f80807f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a08411156114ff57505f91506003905082611584565b604080515f808252602082018084528a905260ff891692820192909252606081018790526080810186905260019060a0016020604051602081039080840390855afa158015611550573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b03811661157b57505f925060019150829050611584565b92505f91508190505b9450945094915050565b60605f61159a83611638565b6040805160208082528183019092529192505f91906020820181803683375050509182525060208101929092525090565b6040516323b872dd60e01b5f8181526001600160a01b038781166004528616602452604485905291602083606481808c5af1925060015f5114831661162757838315161561161b573d5f823e3d81fd5b5f883b113d1516831692505b604052505f60605295945050505050565b5f60ff8216601f81111561048957604051632cd44ac360e21b815260040160405180910390fd5b80356001600160a01b0381168114611675575f5ffd5b919050565b5f6020828403121561168a575f5ffd5b61081f8261165f565b5f5f604083850312156116a4575f5ffd5b6116ad8361165f565b946020939093013593505050565b5f5f5f5f606085870312156116ce575f5ffd5b6116d78561165f565b935060208501359250604085013567ffffffffffffffff8111156116f9575f5ffd5b8501601f81018713611709575f5ffd5b803567ffffffffffffffff81111561171f575f5ffd5b876020828401011115611730575f5ffd5b949793965060200194505050565b5f6020828403121561174e575f5ffd5b5035919050565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b60ff60f81b8816815260e060208201525f6117a160e0830189611755565b82810360408401526117b38189611755565b606084018890526001600160a01b038716608085015260a0840186905283810360c0850152845180825260208087019350909101905f5b818110156118085783518352602093840193909201916001016117ea565b50909b9a5050505050505050505050565b634e487b7160e01b5f52601160045260245ffd5b8082018082111561048957610489611819565b60208082526023908201527f436865636b626f6f6b3a2063616c6c6572206973206e6f7420746865206973736040820152623ab2b960e91b606082015260800190565b60208082526021908201527f436865636b626f6f6b3a206e6f7469636520706572696f64206e6f74206f76656040820152603960f91b606082015260800190565b634e487b7160e01b5f52602160045260245ffd5b8181038181111561048957610489611819565b5f602082840312156118fb575f5ffd5b505191905056fea2646970667358221220607bfb6691528cb7c201516c9e79551ba98977d7eef98a42d5b0c4f1ac4b813464736f6c63430008250033a26469706673582212205b08ff3a012d4078a45c4bbeebb988b8783f48fdd54170a479800f39f407982164736f6c63430008250033",
}

// CheckbookFactoryABI is the input ABI used to generate the binding from.
// Deprecated: Use CheckbookFactoryMetaData.ABI instead.
var CheckbookFactoryABI = CheckbookFactoryMetaData.ABI

// CheckbookFactoryBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use CheckbookFactoryMetaData.Bin instead.
var CheckbookFactoryBin = CheckbookFactoryMetaData.Bin

// DeployCheckbookFactory deploys a new Ethereum contract, binding an instance of CheckbookFactory to it.
func DeployCheckbookFactory(auth *bind.TransactOpts, backend bind.ContractBackend, token_ common.Address) (common.Address, *types.Transaction, *CheckbookFactory, error) {
	parsed, err := CheckbookFactoryMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(CheckbookFactoryBin), backend, token_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &CheckbookFactory{CheckbookFactoryCaller: CheckbookFactoryCaller{contract: contract}, CheckbookFactoryTransactor: CheckbookFactoryTransactor{contract: contract}, CheckbookFactoryFilterer: CheckbookFactoryFilterer{contract: contract}}, nil
}

// CheckbookFactory is an auto generated Go binding around an Ethereum contract.
type CheckbookFactory struct {
	CheckbookFactoryCaller     // Read-only binding to the contract
	CheckbookFactoryTransactor // Write-only binding to the contract
	CheckbookFactoryFilterer   // Log filterer for contract events
}

// CheckbookFactoryCaller is an auto generated read-only Go binding around an Ethereum contract.
type CheckbookFactoryCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CheckbookFactoryTransactor is an auto generated write-only Go binding around an Ethereum contract.
type CheckbookFactoryTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CheckbookFactoryFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type CheckbookFactoryFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CheckbookFactorySession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type CheckbookFactorySession struct {
	Contract     *CheckbookFactory // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// CheckbookFactoryCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type CheckbookFactoryCallerSession struct {
	Contract *CheckbookFactoryCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts           // Call options to use throughout this session
}

// CheckbookFactoryTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type CheckbookFactoryTransactorSession struct {
	Contract     *CheckbookFactoryTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts           // Transaction auth options to use throughout this session
}

// CheckbookFactoryRaw is an auto generated low-level Go binding around an Ethereum contract.
type CheckbookFactoryRaw struct {
	Contract *CheckbookFactory // Generic contract binding to access the raw methods on
}

// CheckbookFactoryCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type CheckbookFactoryCallerRaw struct {
	Contract *CheckbookFactoryCaller // Generic read-only contract binding to access the raw methods on
}

// CheckbookFactoryTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type CheckbookFactoryTransactorRaw struct {
	Contract *CheckbookFactoryTransactor // Generic write-only contract binding to access the raw methods on
}

// NewCheckbookFactory creates a new instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactory(address common.Address, backend bind.ContractBackend) (*CheckbookFactory, error) {
	contract, err := bindCheckbookFactory(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactory{CheckbookFactoryCaller: CheckbookFactoryCaller{contract: contract}, CheckbookFactoryTransactor: CheckbookFactoryTransactor{contract: contract}, CheckbookFactoryFilterer: CheckbookFactoryFilterer{contract: contract}}, nil
}

// NewCheckbookFactoryCaller creates a new read-only instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactoryCaller(address common.Address, caller bind.ContractCaller) (*CheckbookFactoryCaller, error) {
	contract, err := bindCheckbookFactory(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryCaller{contract: contract}, nil
}

// NewCheckbookFactoryTransactor creates a new write-only instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactoryTransactor(address common.Address, transactor bind.ContractTransactor) (*CheckbookFactoryTransactor, error) {
	contract, err := bindCheckbookFactory(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryTransactor{contract: contract}, nil
}

// NewCheckbookFactoryFilterer creates a new log filterer instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactoryFilterer(address common.Address, filterer bind.ContractFilterer) (*CheckbookFactoryFilterer, error) {
	contract, err := bindCheckbookFactory(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryFilterer{contract: contract}, nil
}

// bindCheckbookFactory binds a generic wrapper to an already deployed contract.
func bindCheckbookFactory(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := CheckbookFactoryMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_CheckbookFactory *CheckbookFactoryRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _CheckbookFactory.Contract.CheckbookFactoryCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_CheckbookFactory *CheckbookFactoryRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.CheckbookFactoryTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_CheckbookFactory *CheckbookFactoryRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.CheckbookFactoryTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_CheckbookFactory *CheckbookFactoryCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _CheckbookFactory.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_CheckbookFactory *CheckbookFactoryTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_CheckbookFactory *CheckbookFactoryTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.contract.Transact(opts, method, params...)
}

// CheckbookOf is a free data retrieval call binding the contract method 0x82ed1e5b.
//
// Solidity: function checkbookOf(address ) view returns(address)
func (_CheckbookFactory *CheckbookFactoryCaller) CheckbookOf(opts *bind.CallOpts, arg0 common.Address) (common.Address, error) {
	var out []interface{}
	err := _CheckbookFactory.contract.Call(opts, &out, "checkbookOf", arg0)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// CheckbookOf is a free data retrieval call binding the contract method 0x82ed1e5b.
//
// Solidity: function checkbookOf(address ) view returns(address)
func (_CheckbookFactory *CheckbookFactorySession) CheckbookOf(arg0 common.Address) (common.Address, error) {
	return _CheckbookFactory.Contract.CheckbookOf(&_CheckbookFactory.CallOpts, arg0)
}

// CheckbookOf is a free data retrieval call binding the contract method 0x82ed1e5b.
//
// Solidity: function checkbookOf(address ) view returns(address)
func (_CheckbookFactory *CheckbookFactoryCallerSession) CheckbookOf(arg0 common.Address) (common.Address, error) {
	return _CheckbookFactory.Contract.CheckbookOf(&_CheckbookFactory.CallOpts, arg0)
}

// DeployedBy is a free data retrieval call binding the contract method 0x67d95cc2.
//
// Solidity: function deployedBy(address ) view returns(bool)
func (_CheckbookFactory *CheckbookFactoryCaller) DeployedBy(opts *bind.CallOpts, arg0 common.Address) (bool, error) {
	var out []interface{}
	err := _CheckbookFactory.contract.Call(opts, &out, "deployedBy", arg0)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// DeployedBy is a free data retrieval call binding the contract method 0x67d95cc2.
//
// Solidity: function deployedBy(address ) view returns(bool)
func (_CheckbookFactory *CheckbookFactorySession) DeployedBy(arg0 common.Address) (bool, error) {
	return _CheckbookFactory.Contract.DeployedBy(&_CheckbookFactory.CallOpts, arg0)
}

// DeployedBy is a free data retrieval call binding the contract method 0x67d95cc2.
//
// Solidity: function deployedBy(address ) view returns(bool)
func (_CheckbookFactory *CheckbookFactoryCallerSession) DeployedBy(arg0 common.Address) (bool, error) {
	return _CheckbookFactory.Contract.DeployedBy(&_CheckbookFactory.CallOpts, arg0)
}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_CheckbookFactory *CheckbookFactoryCaller) Token(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _CheckbookFactory.contract.Call(opts, &out, "token")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_CheckbookFactory *CheckbookFactorySession) Token() (common.Address, error) {
	return _CheckbookFactory.Contract.Token(&_CheckbookFactory.CallOpts)
}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_CheckbookFactory *CheckbookFactoryCallerSession) Token() (common.Address, error) {
	return _CheckbookFactory.Contract.Token(&_CheckbookFactory.CallOpts)
}

// Deploy is a paid mutator transaction binding the contract method 0xa5e38751.
//
// Solidity: function deploy(uint256 noticePeriod) returns(address)
func (_CheckbookFactory *CheckbookFactoryTransactor) Deploy(opts *bind.TransactOpts, noticePeriod *big.Int) (*types.Transaction, error) {
	return _CheckbookFactory.contract.Transact(opts, "deploy", noticePeriod)
}

// Deploy is a paid mutator transaction binding the contract method 0xa5e38751.
//
// Solidity: function deploy(uint256 noticePeriod) returns(address)
func (_CheckbookFactory *CheckbookFactorySession) Deploy(noticePeriod *big.Int) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.Deploy(&_CheckbookFactory.TransactOpts, noticePeriod)
}

// Deploy is a paid mutator transaction binding the contract method 0xa5e38751.
//
// Solidity: function deploy(uint256 noticePeriod) returns(address)
func (_CheckbookFactory *CheckbookFactoryTransactorSession) Deploy(noticePeriod *big.Int) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.Deploy(&_CheckbookFactory.TransactOpts, noticePeriod)
}

// CheckbookFactoryCheckbookDeployedIterator is returned from FilterCheckbookDeployed and is used to iterate over the raw logs and unpacked data for CheckbookDeployed events raised by the CheckbookFactory contract.
type CheckbookFactoryCheckbookDeployedIterator struct {
	Event *CheckbookFactoryCheckbookDeployed // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *CheckbookFactoryCheckbookDeployedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CheckbookFactoryCheckbookDeployed)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(CheckbookFactoryCheckbookDeployed)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *CheckbookFactoryCheckbookDeployedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CheckbookFactoryCheckbookDeployedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CheckbookFactoryCheckbookDeployed represents a CheckbookDeployed event raised by the CheckbookFactory contract.
type CheckbookFactoryCheckbookDeployed struct {
	Issuer    common.Address
	Checkbook common.Address
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterCheckbookDeployed is a free log retrieval operation binding the contract event 0x9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459.
//
// Solidity: event CheckbookDeployed(address indexed issuer, address checkbook)
func (_CheckbookFactory *CheckbookFactoryFilterer) FilterCheckbookDeployed(opts *bind.FilterOpts, issuer []common.Address) (*CheckbookFactoryCheckbookDeployedIterator, error) {

	var issuerRule []interface{}
	for _, issuerItem := range issuer {
		issuerRule = append(issuerRule, issuerItem)
	}

	logs, sub, err := _CheckbookFactory.contract.FilterLogs(opts, "CheckbookDeployed", issuerRule)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryCheckbookDeployedIterator{contract: _CheckbookFactory.contract, event: "CheckbookDeployed", logs: logs, sub: sub}, nil
}

// WatchCheckbookDeployed is a free log subscription operation binding the contract event 0x9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459.
//
// Solidity: event CheckbookDeployed(address indexed issuer, address checkbook)
func (_CheckbookFactory *CheckbookFactoryFilterer) WatchCheckbookDeployed(opts *bind.WatchOpts, sink chan<- *CheckbookFactoryCheckbookDeployed, issuer []common.Address) (event.Subscription, error) {

	var issuerRule []interface{}
	for _, issuerItem := range issuer {
		issuerRule = append(issuerRule, issuerItem)
	}

	logs, sub, err := _CheckbookFactory.contract.WatchLogs(opts, "CheckbookDeployed", issuerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CheckbookFactoryCheckbookDeployed)
				if err := _CheckbookFactory.contract.UnpackLog(event, "CheckbookDeployed", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseCheckbookDeployed is a log parse operation binding the contract event 0x9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459.
//
// Solidity: event CheckbookDeployed(address indexed issuer, address checkbook)
func (_CheckbookFactory *CheckbookFactoryFilterer) ParseCheckbookDeployed(log types.Log) (*CheckbookFactoryCheckbookDeployed, error) {
	event := new(CheckbookFactoryCheckbookDeployed)
	if err := _CheckbookFactory.contract.UnpackLog(event, "CheckbookDeployed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
